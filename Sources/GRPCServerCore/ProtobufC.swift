public import CKedaProto

/// Bridges protobuf-c's generic message functions to Swift, so codecs need only a
/// message descriptor and a conversion to or from their Swift value.
public enum ProtobufC {
    /// Unpacks `bytes` with a generated `…__unpack` function, lets `body` read the message,
    /// then frees it with the matching `…__free_unpacked`. The message lives in
    /// ``UnpackScratch`` memory, so `body` must not keep pointers into it. A message
    /// protobuf-c refuses is INTERNAL, as gRPC's status table asks for an unparsable request.
    public static func withUnpacked<C, Result>(
        _ bytes: UnsafeRawBufferPointer,
        messageName: String,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<C>?,
        free: (UnsafeMutablePointer<C>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        _ body: (UnsafePointer<C>) throws(RPCError) -> Result
    ) throws(RPCError) -> Result {
        try UnpackScratch.withAllocator { allocator throws(RPCError) in
            guard let message = unpack(allocator, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
                throw RPCError(code: .internal, message: "error parsing request proto: malformed \(messageName)")
            }
            defer { free(message, allocator) }
            return try body(message)
        }
    }

    /// Serializes a protobuf-c message struct (its first member is the `ProtobufCMessage` base).
    public static func pack<C>(_ message: inout C) -> [UInt8] {
        withUnsafeMutablePointer(to: &message) { pointer in
            let base = UnsafeRawPointer(pointer).assumingMemoryBound(to: ProtobufCMessage.self)
            let size = protobuf_c_message_get_packed_size(base)
            guard size > 0 else { return [] }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = protobuf_c_message_pack(base, buffer.baseAddress)
            }
        }
    }

    /// A Swift string from a protobuf-c string field (NULL reads as empty).
    public static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }
}
