import NIOCore
public import NIOSSL

/// A ready server TLS context built from the PEM files, with what identifies its leaf
/// certificate in logs. Building one reads the files (blocking I/O): never do it on an
/// event loop.
public struct TLSIdentity: Sendable {
    /// The context every new connection's `NIOSSLServerHandler` is made from.
    public let context: NIOSSLContext
    /// The leaf certificate's serial number, lowercase hex.
    public let serialNumber: String
    /// The leaf certificate's expiry, seconds since 1970.
    public let notValidAfter: Int

    /// How long a closing connection waits for the peer's close_notify before closing anyway:
    /// an idle client that never reads must not hold a draining server past its grace.
    static let closeNotifyTimeout = TimeAmount.seconds(1)

    /// Reads and checks the files and builds the context.
    public init(loading files: TLSFiles) throws(TLSSetupError) {
        try self.init(files: files, contents: TLSFileContents(reading: files))
    }

    /// Checks the PEM bytes read from `files` and builds the context: TLS 1.2 or newer, ALPN
    /// `h2` only, and, with a client CA, client certificates required and verified against it.
    init(files: TLSFiles, contents: TLSFileContents) throws(TLSSetupError) {
        let chain = try Self.certificates(contents.certificateChain, role: .certificateChain, path: files.certificateChain, code: .invalidCertificate)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: contents.privateKey, format: .pem)
        } catch {
            throw TLSSetupError(.invalidPrivateKey, role: .privateKey, path: files.privateKey, detail: "\(error)")
        }
        let leafDER = (try? chain[0].toDERBytes()) ?? []
        guard TLSKeyPairCheck.matches(certificateDER: leafDER, privateKeyPEM: contents.privateKey) else {
            throw TLSSetupError(.keyMismatch, role: .privateKey, path: files.privateKey)
        }

        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        if let clientCA = files.clientCA, let clientCAPEM = contents.clientCA {
            let authorities = try Self.certificates(clientCAPEM, role: .clientCA, path: clientCA, code: .invalidClientCA)
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(authorities)
            configuration.sendCANameList = true
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        configuration.shutdownTimeout = Self.closeNotifyTimeout

        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(.contextFailed, role: .certificateChain, path: files.certificateChain, detail: "\(error)")
        }
        serialNumber = chain[0].serialNumber.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        notValidAfter = Int(chain[0].notValidAfter)
    }

    private static func certificates(
        _ pem: [UInt8], role: TLSFiles.Role, path: String, code: TLSSetupError.Code
    ) throws(TLSSetupError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(pem)
        } catch {
            throw TLSSetupError(code, role: role, path: path, detail: "\(error)")
        }
        guard !certificates.isEmpty else { throw TLSSetupError(code, role: role, path: path) }
        return certificates
    }
}
