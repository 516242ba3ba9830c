import CCrypto

/// SHA-256 from libcrypto, for source fingerprints: stable across processes and
/// replicas (unlike `Hasher`, which is seeded per process) and one-way, so a
/// fingerprint shown in status output reveals nothing about the secrets in it.
enum SHA256 {
    /// The 32-byte digest of `message`.
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest fails only when libcrypto cannot allocate or lacks SHA-256 itself.
        precondition(ok == 1, "libcrypto EVP_Digest(SHA-256) failed")
        return Array(digest.prefix(Int(length)))
    }

    /// HMAC-SHA-256 of `message` under `key` (RFC 2104).
    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { key in
            message.withUnsafeBytes { input in
                HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count), input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, &digest,
                    &length)
            }
        }
        precondition(result != nil, "libcrypto HMAC(SHA-256) failed")
        return Array(digest.prefix(Int(length)))
    }

    /// Lower-case hexadecimal.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
