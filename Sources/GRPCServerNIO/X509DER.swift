import CCrypto

/// A DER certificate lent to OpenSSL for the duration of a check (mTLS client names, the
/// server's key pair).
enum X509DER {
    /// Runs `body` on the parsed certificate and frees it; nil when `der` does not parse.
    static func withCertificate<Result>(_ der: [UInt8], _ body: (OpaquePointer) -> Result) -> Result? {
        let certificate: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let certificate else { return nil }
        defer { X509_free(certificate) }
        return body(certificate)
    }
}
