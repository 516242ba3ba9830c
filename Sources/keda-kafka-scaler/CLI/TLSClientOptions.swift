import ArgumentParser
import GRPCClient
import NIOSSL

/// grpc_health_probe's TLS flags, for `health` and `probe` against a scaler started
/// with `--tls-cert`. Any file flag turns TLS on.
struct TLSClientOptions: ParsableArguments {
    @Flag(name: .customLong("tls"), help: "Use TLS, trusting the system's root certificates unless --tls-ca-cert is given")
    var enabled = false

    @Option(name: .customLong("tls-ca-cert"), help: ArgumentHelp("CA certificate(s) that sign the scaler's certificate (PEM)", valueName: "file"))
    var caCertificate: String?

    @Option(name: .customLong("tls-client-cert"), help: ArgumentHelp("Client certificate for mTLS (PEM)", valueName: "file"))
    var clientCertificate: String?

    @Option(name: .customLong("tls-client-key"), help: ArgumentHelp("Client private key for mTLS (PEM)", valueName: "file"))
    var clientKey: String?

    @Option(name: .customLong("tls-server-name"), help: "Name to verify the scaler's certificate against (default: the address's host)")
    var serverName: String?

    @Flag(name: .customLong("tls-no-verify"), help: "Do not verify the scaler's certificate (testing only)")
    var skipVerification = false

    func validate() throws {
        guard (clientCertificate == nil) == (clientKey == nil) else {
            throw ValidationError("--tls-client-cert and --tls-client-key go together")
        }
    }

    /// The client's TLS settings, or nil for plaintext (h2c).
    func settings() throws -> GRPCClientConfiguration.TLS? {
        let anyFile = caCertificate != nil || clientCertificate != nil || serverName != nil
        guard enabled || anyFile || skipVerification else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        do {
            if let caCertificate {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate))
            }
            if let clientCertificate, let clientKey {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
            }
        } catch {
            throw ValidationError("TLS files cannot be used: \(error)")
        }
        if skipVerification { configuration.certificateVerification = .none }
        return GRPCClientConfiguration.TLS(configuration: configuration, serverHostname: serverName)
    }
}
