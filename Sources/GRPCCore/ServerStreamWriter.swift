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
