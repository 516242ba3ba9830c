/// Where a server-streaming call's messages go; the transport implements it per call.
///
/// `send` may be called from any task. Sends coalesce when the client is slow: while one
/// message waits for flow-control window, a newer one replaces the previous unsent one,
/// so a stream's buffer stays bounded (the latest state is what KEDA and Watch need).
public protocol ServerStreamSink: Sendable {
    /// Queues one serialized message for the stream.
    func send(_ message: [UInt8])
}
