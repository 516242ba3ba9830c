/// Where the server's TLS material lives on disk. Paths, not bytes: the files are re-read
/// when they change (cert-manager rewrites them in place), so the paths are the identity.
public struct TLSFiles: Sendable, Hashable {
    /// Which of the files a path or an error is about.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// The server certificate chain (PEM, leaf first).
        case certificateChain = "certificate chain"
        /// The private key of the leaf certificate (PEM).
        case privateKey = "private key"
        /// The CA bundle client certificates must chain to (PEM); its presence turns on mTLS.
        case clientCA = "client CA"
    }

    /// The server certificate chain (PEM, leaf first).
    public var certificateChain: String
    /// The leaf certificate's private key (PEM).
    public var privateKey: String
    /// The CA bundle for client certificates; nil serves TLS without client authentication.
    public var clientCA: String?

    /// TLS with these files; a client CA makes client certificates mandatory.
    public init(certificateChain: String, privateKey: String, clientCA: String? = nil) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
    }

    /// The files from optional settings: nil when none is set (plaintext), an error naming the
    /// missing one when the set is incomplete (a key alone, or a client CA without a certificate).
    public static func validated(
        certificateChain: String?, privateKey: String?, clientCA: String?
    ) throws(TLSSetupError) -> TLSFiles? {
        switch (certificateChain, privateKey) {
        case (nil, nil):
            if let clientCA { throw TLSSetupError(.clientCAWithoutCertificate, role: .clientCA, path: clientCA) }
            return nil
        case (.some, nil):
            throw TLSSetupError(.missingFile, role: .privateKey)
        case (nil, .some):
            throw TLSSetupError(.missingFile, role: .certificateChain)
        case (.some(let certificateChain), .some(let privateKey)):
            return TLSFiles(certificateChain: certificateChain, privateKey: privateKey, clientCA: clientCA)
        }
    }

    /// Every configured file with its role, in a fixed order.
    var paths: [(role: Role, path: String)] {
        [(.certificateChain, certificateChain), (.privateKey, privateKey)] + (clientCA.map { [(.clientCA, $0)] } ?? [])
    }
}
