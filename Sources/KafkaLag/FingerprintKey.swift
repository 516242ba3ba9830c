import CCrypto
import Synchronization

/// The key of every source and connection fingerprint (HMAC-SHA-256). Fingerprints are
/// shown in `/registry` and logs and cover credentials, so without a key anyone who sees
/// one could test password guesses offline. By default the key is 32 random bytes per
/// process: fingerprints are stable for the process's life and differ between replicas.
/// `--fingerprint-key-file` installs a shared key for fingerprints equal across replicas.
public enum FingerprintKey {
    /// A key shorter than this is refused: it would make guessing the key itself easy.
    public static let minimumLength = 16

    private static let storage = Mutex(random())

    /// The key fingerprints use now.
    static var current: [UInt8] { storage.withLock { $0 } }

    /// Installs `key` for every fingerprint computed from now on (once, at startup).
    public static func use(_ key: [UInt8]) throws(KafkaLagError) {
        guard key.count >= minimumLength else {
            throw KafkaLagError(.invalidMetadata, "the fingerprint key has \(key.count) bytes; at least \(minimumLength) are needed")
        }
        storage.withLock { $0 = key }
    }

    private static func random() -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 32)
        // RAND_bytes fails only when the OS has no entropy source at all.
        precondition(RAND_bytes(&key, Int32(key.count)) == 1, "libcrypto RAND_bytes failed")
        return key
    }
}
