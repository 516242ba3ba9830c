public import CKedaProto

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

extension MessageCodec {
    /// A codec over one protoc-c generated message type: `unpack`/`free` are its generated
    /// `…__unpack` / `…__free_unpacked` functions, `read` turns the unpacked message into the
    /// Swift value (it may throw INTERNAL for values the proto allows but the service does
    /// not), and `encode` serializes a value (usually with `ProtobufC.pack`).
    public static func protobufC<C>(
        _ messageName: String,
        unpack: @escaping @Sendable (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<C>?,
        free: @escaping @Sendable (UnsafeMutablePointer<C>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        read: @escaping @Sendable (UnsafePointer<C>) throws(RPCError) -> Message,
        encode: @escaping @Sendable (Message) -> [UInt8]
    ) -> MessageCodec {
        MessageCodec(
            decode: { bytes throws(RPCError) in
                try ProtobufC.withUnpacked(bytes, messageName: messageName, unpack: unpack, free: free, read)
            },
            encode: encode
        )
    }
}
