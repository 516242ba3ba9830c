import CCrypto

/// Whether a private key belongs to a certificate, asked of OpenSSL before the TLS context is
/// built: swift-nio-ssl finds a mismatch only inside `NIOSSLContext`'s throwing initializer,
/// which then leaks the half-built context (LeakSanitizer shows it), and a rotation to a
/// mismatched pair would leak one per attempt.
enum TLSKeyPairCheck {
    /// `certificateDER` is the leaf certificate, `privateKeyPEM` the key file's bytes; false
    /// when either does not parse or they do not match.
    static func matches(certificateDER: [UInt8], privateKeyPEM: [UInt8]) -> Bool {
        let key: OpaquePointer? = privateKeyPEM.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(clamping: bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            // A passphrase callback that refuses: OpenSSL's default one would prompt on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else { return false }
        defer { EVP_PKEY_free(key) }
        return X509DER.withCertificate(certificateDER) { X509_check_private_key($0, key) == 1 } ?? false
    }
}
