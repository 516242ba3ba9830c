import GRPCServerNIO
import KafkaLag
public import Logging
import ScalerRegistry

/// Everything the scaler is told at start, in its own terms: `serve` fills it from flags and
/// the environment, `demo` from its own choices, and ``ScalerAssembly`` turns it into each
/// layer's configuration, so the executable knows no layer below KafkaScaler.
public struct ScalerSettings: Sendable {
    /// The server certificate files, as the operator gave them (any may be missing: an
    /// incomplete set is refused by ``ScalerSettings/validate()``).
    public struct TLS: Sendable, Hashable {
        /// The server certificate chain (PEM, leaf first).
        public var certificateChain: String?
        /// The leaf certificate's private key (PEM).
        public var privateKey: String?
        /// The CA bundle client certificates must chain to; it turns on mTLS.
        public var clientCA: String?

        public init(certificateChain: String?, privateKey: String?, clientCA: String?) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.clientCA = clientCA
        }
    }

    /// The address the gRPC port binds.
    public var host: String
    /// The gRPC port; 0 picks a free one.
    public var port: Int
    /// The gRPC port's TLS files; none set serves h2c.
    public var tls: TLS
    /// With mTLS, the client names that may connect (comma- or space-separated); nil: any
    /// client the client CA issued.
    public var allowedClientNames: String?
    /// Client connections to the gRPC port at most.
    public var maxConnections: Int
    /// Time a client has for its TLS handshake and HTTP/2 preface.
    public var handshakeTimeout: Duration
    /// Time a connection may stay without a call before it gets GOAWAY.
    public var idleTimeout: Duration
    /// The gap between the shutdown notice (first GOAWAY) and the final GOAWAY.
    public var goAwayDelay: Duration
    /// The bound on a graceful shutdown of the gRPC port.
    public var shutdownGrace: Duration
    /// How long an observation of Kafka offsets is reused; zero disables reuse.
    public var lagCacheTTL: Duration
    /// The bound of one Kafka read when the call has no earlier deadline.
    public var kafkaTimeout: Duration
    /// Registry entries (triggers) at most.
    public var maxRegistryEntries: Int
    /// Distinct Kafka connections at most.
    public var maxKafkaConnections: Int
    /// The auth profiles' directory, one subdirectory per profile; nil: none.
    public var authProfiles: String?
    /// Whether auth-profile files readable by others are accepted.
    public var allowReadableProfiles: Bool
    /// Broker patterns (comma- or space-separated) outside which no trigger's bootstrap
    /// server is dialled; nil: any broker.
    public var allowedBootstrapServers: String?
    /// Whether triggers with `identityOwner: operator` may sign MSK IAM tokens with the
    /// scaler's own AWS credentials.
    public var awsOperatorCredentials: Bool
    /// How often auth profiles in use are checked for changes; nil: never.
    public var profilePollInterval: Duration?
    /// A file holding the key of source fingerprints (at least 16 bytes), equal across
    /// replicas; nil: a random key for this process.
    public var fingerprintKeyFile: String?
    /// Whether the process stays dumpable, so a crash can write a core holding credentials.
    public var allowCoreDumps: Bool
    /// The ops port; nil: none.
    public var ops: OpsServer.Configuration?
    /// The level of the scaler's loggers; nil: the bootstrapped handler's level.
    public var logLevel: Logger.Level?

    /// The layers' own defaults (``GRPCServerConfiguration/defaults``: `0.0.0.0:6000` in h2c,
    /// 10,000 connections, a 10 s handshake, 10 idle minutes, a 1 s GOAWAY gap, a 20 s
    /// shutdown; ``ScalerRegistry/Configuration/defaults``: observations reused 2 s, Kafka
    /// reads bounded at 5 s, 50,000 entries, 256 Kafka connections), no auth profiles, any
    /// broker, no operator AWS credentials, no profile watching, a random fingerprint key, no
    /// core dumps, and the ops port as ``OpsServer/Configuration/defaults``.
    public static var defaults: Self {
        let grpc = GRPCServerConfiguration.defaults
        let registry = ScalerRegistry.Configuration.defaults
        return Self(
            host: grpc.host, port: grpc.port, tls: TLS(certificateChain: nil, privateKey: nil, clientCA: nil), allowedClientNames: nil,
            maxConnections: grpc.maxConnections, handshakeTimeout: grpc.handshakeTimeout, idleTimeout: grpc.idleTimeout,
            goAwayDelay: grpc.goAwayDelay, shutdownGrace: grpc.shutdownGrace, lagCacheTTL: registry.lagCacheTTL,
            kafkaTimeout: registry.kafkaTimeout, maxRegistryEntries: registry.maxEntries, maxKafkaConnections: registry.maxConnections,
            authProfiles: nil, allowReadableProfiles: false, allowedBootstrapServers: nil, awsOperatorCredentials: false,
            profilePollInterval: nil, fingerprintKeyFile: nil, allowCoreDumps: false, ops: .defaults, logLevel: nil
        )
    }
}

extension ScalerSettings {
    /// The parts of the settings that are parsed before use.
    struct Checked {
        var tls: TLSFiles?
        var allowedClientNames: [String]
        var allowedBrokers: [BrokerPattern]?
    }

    /// Checks what can be checked without starting anything: a complete set of TLS files,
    /// client names only with mTLS, and the broker patterns (the TLS files' contents are
    /// read when the scaler is assembled).
    public func validate() throws(ScalerSettingsError) {
        _ = try checked()
    }

    func checked() throws(ScalerSettingsError) -> Checked {
        let files: TLSFiles?
        do {
            files = try TLSFiles.validated(certificateChain: tls.certificateChain, privateKey: tls.privateKey, clientCA: tls.clientCA)
        } catch {
            throw ScalerSettingsError(error)
        }
        let clientNames = allowedClientNames.map(BrokerPattern.items) ?? []
        guard clientNames.isEmpty || tls.clientCA != nil else { throw .clientNamesWithoutMTLS }
        var brokers: [BrokerPattern]?
        if let allowedBootstrapServers {
            switch BrokerPattern.list(allowedBootstrapServers) {
            case .success(let patterns): brokers = patterns
            case .failure(let error): throw .invalidBrokerPattern(error.item)
            }
        }
        return Checked(tls: files, allowedClientNames: clientNames, allowedBrokers: brokers)
    }
}
