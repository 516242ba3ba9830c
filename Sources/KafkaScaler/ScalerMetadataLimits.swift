import GRPCCore

/// Bounds on a request's `scalerMetadata`, checked while it is decoded, before anything
/// is built from it: KEDA sends a few dozen short keys, so a map far larger is a
/// misbehaving or hostile caller and gets INVALID_ARGUMENT.
struct ScalerMetadataLimits: Sendable {
    /// Entries at most. Default 256.
    var entries: Int
    /// Bytes of one key at most. Default 256.
    var keyBytes: Int
    /// Bytes of one value at most. Default 32 KiB (a PEM fits; the request itself is capped at 64 KiB).
    var valueBytes: Int

    static var defaults: Self { Self(entries: 256, keyBytes: 256, valueBytes: 32 << 10) }

    func check(entryCount: Int) throws(RPCError) {
        guard entryCount <= entries else {
            throw RPCError(code: .invalidArgument, message: "scalerMetadata has \(entryCount) entries; at most \(entries) are accepted")
        }
    }

    func check(keyBytes key: Int, valueBytes value: Int) throws(RPCError) {
        guard key <= keyBytes else {
            throw RPCError(code: .invalidArgument, message: "a scalerMetadata key is \(key) bytes; keys are at most \(keyBytes) bytes")
        }
        guard value <= valueBytes else {
            throw RPCError(code: .invalidArgument, message: "a scalerMetadata value is \(value) bytes; values are at most \(valueBytes) bytes")
        }
    }
}
