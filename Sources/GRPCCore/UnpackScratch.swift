#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import CKedaProto

/// Memory for one unpacked request. protobuf-c allocates every sub-message, map entry
/// and string of a message separately, and an unpacked request lives only while its
/// handler reads it, so its pieces are carved from one buffer on the caller's stack
/// and freeing them costs nothing. Pieces past the buffer come from malloc and are
/// freed as usual, so a large request works the same, only slower, up to a byte
/// budget: a small message that unpacks into very many pieces (a map of millions of
/// empty entries) fails instead of taking the memory.
enum UnpackScratch {
    /// 1 KiB of stack per unpack, 16-byte aligned like malloc: a KEDA request with a
    /// dozen metadata entries fits.
    typealias Storage = InlineArray<64, SIMD2<UInt64>>
    private static let alignment = MemoryLayout<SIMD2<UInt64>>.alignment

    /// The bump pointer behind a ``ProtobufCAllocator``'s `allocator_data`.
    private struct Region {
        let start: UnsafeMutableRawPointer
        let end: UnsafeMutableRawPointer
        var next: UnsafeMutableRawPointer
        /// Heap bytes still allowed; an allocation past them fails and sets `exhausted`.
        var budget: Int
        var exhausted = false

        func contains(_ pointer: UnsafeMutableRawPointer) -> Bool {
            pointer >= start && pointer < end
        }
    }

    /// Calls `body` with an allocator over a fresh scratch buffer; valid only within `body`.
    /// Typed throws all the way down: the request path is generic over the message, and
    /// wrapping the outcome in a generic enum would cost a metadata lookup per call.
    /// `body` learns through its second argument whether an allocation failed on the budget.
    static func withAllocator<Result>(
        budget: Int,
        _ body: (UnsafeMutablePointer<ProtobufCAllocator>, _ exhausted: () -> Bool) throws(RPCError) -> Result
    ) throws(RPCError) -> Result {
        var storage = Storage(repeating: .zero)
        return try withUnsafeMutableBytes(of: &storage) { buffer throws(RPCError) in
            let start = buffer.baseAddress!
            var region = Region(start: start, end: start + buffer.count, next: start, budget: budget)
            return try withUnsafeMutablePointer(to: &region) { region throws(RPCError) in
                var allocator = ProtobufCAllocator(alloc: allocate, free: release, allocator_data: UnsafeMutableRawPointer(region))
                return try body(&allocator) { region.pointee.exhausted }
            }
        }
    }

    /// malloc within the region's budget.
    private static func heap(_ region: UnsafeMutablePointer<Region>, _ size: Int) -> UnsafeMutableRawPointer? {
        guard size >= 0, size <= region.pointee.budget else {
            region.pointee.exhausted = true
            return nil
        }
        region.pointee.budget -= size
        return malloc(size)
    }

    private static let allocate: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { data, size in
        let region = data!.assumingMemoryBound(to: Region.self)
        let remaining = region.pointee.end - region.pointee.next
        // `size` is a size_t: a negative Int here is a huge request, past any budget.
        guard size >= 0, size < remaining else { return heap(region, size) }
        let rounded = (max(size, 1) + alignment - 1) & ~(alignment - 1)
        guard rounded <= remaining else { return heap(region, size) }
        let piece = region.pointee.next
        region.pointee.next += rounded
        return piece
    }

    private static let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { data, pointer in
        guard let pointer, !data!.assumingMemoryBound(to: Region.self).pointee.contains(pointer) else { return }
        free(pointer)
    }
}
