public import CKedaProto
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Bridges protobuf-c's generic message functions to Swift, so codecs need only a
/// message descriptor and a conversion to or from their Swift value.
public enum ProtobufC {
    /// Unpacks `bytes` with a generated `…__unpack` function, lets `body` read the message,
    /// then frees it with the matching `…__free_unpacked`. A message protobuf-c refuses is
    /// INTERNAL, as gRPC's status table asks for an unparsable request.
    public static func withUnpacked<C, Result>(
        _ bytes: UnsafeRawBufferPointer,
        messageName: String,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<C>?,
        free: (UnsafeMutablePointer<C>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        _ body: (UnsafePointer<C>) throws(RPCError) -> Result
    ) throws(RPCError) -> Result {
        guard let message = unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw RPCError(code: .internal, message: "error parsing request proto: malformed \(messageName)")
        }
        defer { free(message, nil) }
        return try body(message)
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

/// C memory that must stay alive while a protobuf-c message pointing at it is packed.
/// Owned by one packing scope; everything is freed when the arena goes away.
struct CMemoryArena: ~Copyable {
    private var allocations: [UnsafeMutableRawPointer] = []

    init() {}

    /// A NUL-terminated copy of `string`.
    mutating func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        let pointer = string.withCString { strdup($0)! }
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// Room for `count` values of `T`, zero-filled (protobuf-c arrays and sub-messages).
    mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(max(count, 1), MemoryLayout<T>.stride)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// A `ProtobufCBinaryData` over a copy of `bytes`.
    mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let pointer = allocate(UInt8.self, count: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: pointer)
    }

    deinit {
        for allocation in allocations { free(allocation) }
    }
}
