import CCrypto

/// Whether an mTLS client certificate names one of the allowed clients: OpenSSL's
/// `X509_check_host` against each allowed name (its DNS subjectAltNames, or the subject CN
/// when it has none), wildcards in the certificate not honoured.
enum ClientCertificateNames {
    /// `der` is the client's leaf certificate; false when it does not parse.
    static func matches(der: [UInt8], allowed: [String]) -> Bool {
        X509DER.withCertificate(der) { certificate in
            allowed.contains { name in
                X509_check_host(certificate, name, name.utf8.count, UInt32(X509_CHECK_FLAG_NO_WILDCARDS), nil) == 1
            }
        } ?? false
    }
}
