import CKedaProto
import GRPCCore
import Glibc
import Synchronization

/// KEDA sends one trigger's `ScaledObjectRef` unchanged on every call; only the order
/// of its metadata entries changes (Go randomizes map order). The interner keeps, per
/// request seen, the trigger the service resolved from it, keyed by the request's
/// bytes, so a repeated request builds no strings, hashes no dictionary and parses
/// nothing.
///
/// A request matches only a byte-identical one: the same namespace, name and metadata
/// entries, in any order. A request whose decoded map has fewer keys than it sent
/// entries is never interned, because which value won depends on the entries' order:
/// a repeated key, or keys that differ in bytes but not as Swift strings (invalid
/// UTF-8 repaired to U+FFFD, canonically equivalent Unicode). Only resolved (valid)
/// triggers are kept, so invalid requests cannot fill the table.
final class ScaledObjectRefInterner: Sendable {
    /// A decoded ref, or the resolution remembered for an identical one.
    struct Interned: Sendable {
        enum Content: Sendable {
            /// What ``remember(_:for:)`` stored for an identical ref (it holds the ref).
            case resolved(ResolvedTrigger)
            /// A ref nothing was remembered for.
            case ref(ScaledObjectRef)
        }

        var content: Content
        /// The request's canonical bytes, to remember a resolution under; nil when the
        /// ref may not be interned.
        fileprivate var key: Key?

        /// A ref that is not interned (an absent sub-message, a repeated key, a huge ref).
        init(uninterned ref: ScaledObjectRef) {
            self.content = .ref(ref)
        }

        fileprivate init(_ content: Content, key: Key) {
            self.content = content
            self.key = key
        }

        /// The ref as decoded.
        var ref: ScaledObjectRef {
            switch content {
            case .resolved(let resolved): resolved.ref
            case .ref(let ref): ref
            }
        }
    }

    /// A request in canonical form (namespace, name, then entries sorted by key) and its hash.
    fileprivate struct Key: Sendable {
        var digest: Int
        var canonical: [UInt8]
    }

    private struct State {
        var records: [Int: (canonical: [UInt8], resolved: ResolvedTrigger)] = [:]
        /// Estimated memory of the records, by ``recordCost(_:)``.
        var bytes = 0
    }

    /// A record's estimated memory: its canonical bytes, the ref, trigger and admission
    /// built from about as many bytes again (three copies), and a fixed overhead for the
    /// dictionary and structs. Measured: 10,000 records cost ~20 MiB of RSS at ~250
    /// canonical bytes each, i.e. ~2 KiB, which this gives.
    static func recordCost(_ canonicalBytes: Int) -> Int {
        4 * canonicalBytes + 1024
    }

    /// How much the interner keeps: past either bound the table starts over, which
    /// bounds memory, not the hit rate of a real cluster (one record per trigger).
    struct Limits: Sendable {
        /// Records kept at most. Default 50,000.
        var records: Int
        /// Estimated memory kept at most (see ``recordCost(_:)``). Default 64 MiB: about
        /// 30,000 triggers of KEDA's usual size.
        var bytes: Int
        /// Larger requests are not interned. Default 64 KiB (KEDA's are well under 4 KiB).
        var requestBytes: Int

        static var defaults: Self {
            Self(records: 50_000, bytes: 64 << 20, requestBytes: 64 << 10)
        }
    }

    let limits: Limits
    let metadataLimits: ScalerMetadataLimits
    private let state = Mutex(State())

    init(limits: Limits, metadataLimits: ScalerMetadataLimits = .defaults) {
        self.limits = limits
        self.metadataLimits = metadataLimits
    }

    /// Interned records, for tests.
    var count: Int {
        state.withLock { $0.records.count }
    }

    /// The ref `message` holds, or what was remembered for an identical one. A map
    /// outside `metadataLimits` is refused before anything is built from it.
    func intern(_ message: UnsafePointer<Externalscaler__ScaledObjectRef>) throws(RPCError) -> Interned {
        let count = message.pointee.n_scalermetadata
        try metadataLimits.check(entryCount: count)
        return try withUnsafeTemporaryAllocation(of: MetadataEntry.self, capacity: count) { scratch throws(RPCError) in
            var filled = 0
            defer { scratch.baseAddress?.deinitialize(count: filled) }
            for index in 0..<count {
                guard let entry = message.pointee.scalermetadata[index] else { continue }
                let element = MetadataEntry(key: CField(entry.pointee.key), value: CField(entry.pointee.value))
                try metadataLimits.check(keyBytes: element.key.bytes.count, valueBytes: element.value.bytes.count)
                scratch.initializeElement(at: filled, to: element)
                filled += 1
            }
            var entries = UnsafeMutableBufferPointer(rebasing: scratch[..<filled])
            entries.sort { $0.key.precedes($1.key) }
            let namespace = CField(message.pointee.namespace_), name = CField(message.pointee.name)
            let size = Canonical.size(namespace: namespace, name: name, entries: UnsafeBufferPointer(entries))
            guard size <= limits.requestBytes else { return Interned(uninterned: ScaledObjectRef(message.pointee)) }
            return Canonical.withBytes(size: size, namespace: namespace, name: name, entries: UnsafeBufferPointer(entries)) { canonical in
                lookup(canonical, entryCount: filled) { ScaledObjectRef(message.pointee) }
            }
        }
    }

    /// What was remembered for `canonical`, or the ref `build` makes from the request.
    /// A ref whose map has fewer than `entryCount` keys merged some of them: never interned.
    private func lookup(_ canonical: UnsafeRawBufferPointer, entryCount: Int, build: () -> ScaledObjectRef) -> Interned {
        var hasher = Hasher()
        hasher.combine(bytes: canonical)
        let digest = hasher.finalize()
        if let found = state.withLock({ $0.records[digest] }), found.canonical.withUnsafeBytes({ $0.hasSameBytes(as: canonical) }) {
            return Interned(.resolved(found.resolved), key: Key(digest: digest, canonical: found.canonical))
        }
        let ref = build()
        guard ref.scalerMetadata.count == entryCount else { return Interned(uninterned: ref) }
        return Interned(.ref(ref), key: Key(digest: digest, canonical: Array(canonical)))
    }

    /// Remembers what the service resolved from `interned`, for the next identical request.
    func remember(_ resolved: ResolvedTrigger, for interned: Interned) {
        guard let key = interned.key else { return }
        state.withLock { state in
            if let replaced = state.records.removeValue(forKey: key.digest) { state.bytes -= Self.recordCost(replaced.canonical.count) }
            let cost = Self.recordCost(key.canonical.count)
            if state.records.count >= limits.records || state.bytes + cost > limits.bytes {
                state.records.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.records[key.digest] = (key.canonical, resolved)
            state.bytes += cost
        }
    }
}

/// One metadata entry of an unpacked message, read in place.
private struct MetadataEntry {
    var key: CField
    var value: CField
}

/// A protobuf-c string field's bytes, read in place (NULL reads as empty, as ``ProtobufC/string(_:)`` does).
private struct CField {
    var bytes: UnsafeRawBufferPointer

    init(_ pointer: UnsafePointer<CChar>?) {
        bytes = UnsafeRawBufferPointer(start: pointer, count: pointer.map { strlen($0) } ?? 0)
    }

    /// Byte order, shorter first on a common prefix.
    func precedes(_ other: Self) -> Bool {
        let common = min(bytes.count, other.bytes.count)
        let order = common == 0 ? 0 : memcmp(bytes.baseAddress!, other.bytes.baseAddress!, common)
        return order != 0 ? order < 0 : bytes.count < other.bytes.count
    }
}

/// The canonical form of a ref: each field as a 4-byte length and its bytes.
private enum Canonical {
    static func size(namespace: CField, name: CField, entries: UnsafeBufferPointer<MetadataEntry>) -> Int {
        (2 + 2 * entries.count) * 4 + namespace.bytes.count + name.bytes.count
            + entries.reduce(0) { $0 + $1.key.bytes.count + $1.value.bytes.count }
    }

    static func withBytes<Result>(
        size: Int, namespace: CField, name: CField, entries: UnsafeBufferPointer<MetadataEntry>, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(byteCount: size, alignment: 1) { buffer in
            var offset = 0
            func append(_ field: CField) {
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: field.bytes.count).littleEndian) { length in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + 4]).copyMemory(from: length)
                }
                offset += 4
                guard !field.bytes.isEmpty else { return }
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + field.bytes.count]).copyMemory(from: field.bytes)
                offset += field.bytes.count
            }
            append(namespace)
            append(name)
            for entry in entries {
                append(entry.key)
                append(entry.value)
            }
            return body(UnsafeRawBufferPointer(buffer))
        }
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func hasSameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (isEmpty || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }
}
