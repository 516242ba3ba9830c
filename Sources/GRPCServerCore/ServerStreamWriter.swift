/// Where a server-streaming call's messages go; the transport implements it per call.
///
/// `send` may be called from any task. Sends coalesce when the client is slow: while one
/// message waits for flow-control window, a newer one replaces the previous unsent one,
/// so a stream's buffer stays bounded (the latest state is what KEDA and Watch need).
public protocol ServerStreamSink: Sendable {
    /// Queues one serialized message for the stream.
    func send(_ message: [UInt8])
}

/// Sends a server-streaming call's response messages.
public struct ServerStreamWriter<Message: Sendable>: Sendable {
    private let sink: any ServerStreamSink
    private let encode: @Sendable (Message) -> [UInt8]

    /// Makes a writer over a transport sink and a message encoder.
    public init(sink: any ServerStreamSink, encode: @escaping @Sendable (Message) -> [UInt8]) {
        self.sink = sink
        self.encode = encode
    }

    /// Queues a message; it may be replaced by a later one if the client has not read it yet.
    public func send(_ message: Message) {
        sink.send(encode(message))
    }
}
