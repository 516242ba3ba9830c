#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
public import CKedaProto

/// C memory that must stay alive while a protobuf-c message pointing at it is packed
/// (strings, repeated fields, sub-messages). Owned by one packing scope; everything is
/// freed when the arena goes away, so an encoder cannot leak.
public struct CMemoryArena: ~Copyable {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// An empty arena.
    public init() {}

    /// A NUL-terminated copy of `string`.
    public mutating func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        let pointer = string.withCString { strdup($0)! }
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// Room for `count` values of `T`, zero-filled (protobuf-c arrays and sub-messages).
    public mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(max(count, 1), MemoryLayout<T>.stride)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// A `ProtobufCBinaryData` over a copy of `bytes`.
    public mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let pointer = allocate(UInt8.self, count: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: pointer)
    }

    deinit {
        for allocation in allocations { free(allocation) }
    }
}
