public import CKedaProto

/// Bridges protobuf-c's generic message functions to Swift, so codecs need only a
/// message descriptor and a conversion to or from their Swift value.
public enum ProtobufC {
    /// Heap bytes one unpack may take by default: 8 MiB, room for any 4 MiB message of
    /// the served protos, while a small message that would unpack into millions of
    /// pieces fails.
    public static let defaultUnpackBudget = 8 << 20

    /// Unpacks `bytes` with a generated `…__unpack` function, lets `body` read the message,
    /// then frees it with the matching `…__free_unpacked`. The message lives in
    /// ``UnpackScratch`` memory, so `body` must not keep pointers into it. A message
    /// protobuf-c refuses is INTERNAL, as gRPC's status table asks for an unparsable request;
    /// one that needs more than `memoryBudget` heap bytes to unpack is RESOURCE_EXHAUSTED.
    public static func withUnpacked<C, Result>(
        _ bytes: UnsafeRawBufferPointer,
        messageName: String,
        memoryBudget: Int = defaultUnpackBudget,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<C>?,
        free: (UnsafeMutablePointer<C>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        _ body: (UnsafePointer<C>) throws(RPCError) -> Result
    ) throws(RPCError) -> Result {
        try UnpackScratch.withAllocator(budget: memoryBudget) { allocator, exhausted throws(RPCError) in
            guard let message = unpack(allocator, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
                if exhausted() {
                    throw RPCError(code: .resourceExhausted, message: "\(messageName) needs more than \(memoryBudget) bytes to decode")
                }
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
