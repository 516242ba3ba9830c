import GRPCCore
import NIOCore

/// Carries a server-streaming handler's messages back to its connection's event loop.
struct StreamSink: ServerStreamSink {
    let connection: NIOLoopBound<GRPCConnectionHandler>
    let streamID: Int32

    func send(_ message: [UInt8]) {
        let streamID = self.streamID
        connection.execute { handler in handler.deliverStreamMessage(streamID, message) }
    }
}
