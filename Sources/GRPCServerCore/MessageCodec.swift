/// Turns a handler's message type into protobuf bytes and back. Codecs sit between the
/// wire and a handler so that services work with Swift values built from protobuf-c
/// messages and never see framing or HTTP/2.
public struct MessageCodec<Message: Sendable>: Sendable {
    /// Parses one serialized message; a malformed one throws INTERNAL.
    public let decode: @Sendable (_ bytes: UnsafeRawBufferPointer) throws(RPCError) -> Message
    /// Serializes one message.
    public let encode: @Sendable (_ message: Message) -> [UInt8]

    /// Makes a codec from its two directions.
    public init(
        decode: @escaping @Sendable (_ bytes: UnsafeRawBufferPointer) throws(RPCError) -> Message,
        encode: @escaping @Sendable (_ message: Message) -> [UInt8]
    ) {
        self.decode = decode
        self.encode = encode
    }
}
