import ArgumentParser
import KafkaScaler
import Logging
import ServiceLifecycle
import UnixSignals

/// `serve`: run the scaler until SIGTERM/SIGINT, then drain gracefully and exit 0.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the external scaler over gRPC (the default).")

    @Option(help: "Address to bind, gRPC and ops port (env: KKS_HOST) (default: 0.0.0.0)")
    var host: String?

    @Option(help: "Address of the ops port alone, e.g. 127.0.0.1 or a pod IP (env: KKS_OPS_HOST) (default: --host)")
    var opsHost: String?

    @Option(help: "gRPC port; 0 picks a free one (env: KKS_PORT) (default: 6000)")
    var port: Int?

    @Option(help: "Ops HTTP port (/metrics, /healthz, /readyz, /registry); 0 disables it (env: KKS_OPS_PORT) (default: 8080)")
    var opsPort: Int?

    @Option(help: "Directory of auth profiles, one subdirectory per profile (env: KKS_AUTH_PROFILES) (default: none)")
    var authProfiles: String?

    @Option(
        help:
            "Broker patterns (host[:port], *.suffix; comma- or space-separated) outside which no trigger's bootstrap server is dialled: PERMISSION_DENIED instead (env: KKS_ALLOWED_BOOTSTRAP_SERVERS) (default: none, any broker)"
    )
    var allowedBootstrapServers: String?

    @Option(
        help:
            "true: let triggers with identityOwner operator sign MSK IAM tokens with the scaler's own AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and assume awsRoleArn with them; combine with --allowed-bootstrap-servers (env: KKS_AWS_OPERATOR_CREDENTIALS) (default: false, PERMISSION_DENIED)"
    )
    var awsOperatorCredentials: Bool?

    @Option(
        help:
            "false: do not watch auth profiles in use for changes; true: a changed profile becomes its entries' pending source, adopted at the next bump, failure or reload (env: KKS_WATCH_PROFILES) (default: true)"
    )
    var watchProfiles: Bool?

    @Option(help: "Seconds between checks of the auth profiles in use (env: KKS_PROFILE_POLL_INTERVAL) (default: 1)")
    var profilePollInterval: Double?

    @Option(
        help:
            "true: accept auth-profile files readable by others (mode o+r), which are refused otherwise, as ssh refuses a readable key (env: KKS_ALLOW_READABLE_PROFILES) (default: false)"
    )
    var allowReadableProfiles: Bool?

    @Option(help: "true: leave the process dumpable, so a crash can write a core holding credentials (env: KKS_ALLOW_CORE_DUMPS) (default: false)")
    var allowCoreDumps: Bool?

    @Option(help: "Seconds an observation of Kafka offsets is reused; 0 disables reuse (env: KKS_LAG_CACHE_TTL) (default: 2)")
    var lagCacheTtl: Double?

    @Option(help: "Seconds a Kafka read may take; a call's own deadline shortens it (env: KKS_KAFKA_TIMEOUT) (default: 5)")
    var kafkaTimeout: Double?

    @Option(
        help:
            "Registry entries (triggers) at most; past it a new trigger gets RESOURCE_EXHAUSTED while existing ones keep being served (env: KKS_MAX_REGISTRY_ENTRIES) (default: 50000)"
    )
    var maxRegistryEntries: Int?

    @Option(
        help:
            "Distinct Kafka connections at most; a trigger that would add one gets RESOURCE_EXHAUSTED (env: KKS_MAX_KAFKA_CONNECTIONS) (default: 256)"
    )
    var maxKafkaConnections: Int?

    @Option(help: "Client connections to the gRPC port at most; further ones are closed at accept (env: KKS_MAX_CONNECTIONS) (default: 10000)")
    var maxConnections: Int?

    @Option(
        help:
            "Seconds a gRPC client has for its TLS handshake and HTTP/2 preface before it is disconnected (env: KKS_HANDSHAKE_TIMEOUT) (default: 10)")
    var handshakeTimeout: Double?

    @Option(help: "Seconds a gRPC connection may stay without a call before it gets GOAWAY (env: KKS_IDLE_TIMEOUT) (default: 600)")
    var idleTimeout: Double?

    @Option(help: "Seconds a graceful shutdown may take (env: KKS_SHUTDOWN_GRACE) (default: 20)")
    var shutdownGrace: Double?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env: KKS_LOG_LEVEL) (default: info)")
    var logLevel: Logger.Level?

    @Option(help: "text or json (env: KKS_LOG_FORMAT) (default: text)")
    var logFormat: LogFormat?

    @Option(help: "File holding the operators' bearer token for GET /registry and POST /registry/reload (env: KKS_ADMIN_TOKEN_FILE) (default: none)")
    var adminTokenFile: String?

    @Option(
        help:
            "true: loopback peers may read /registry and reload without the token; never behind a service-mesh sidecar (env: KKS_OPS_TRUST_LOOPBACK) (default: false)"
    )
    var opsTrustLoopback: Bool?

    @Option(
        help:
            "true: GET /registry (every tenant's brokers, groups, topics, errors) is open to anyone who reaches the ops port (env: KKS_OPS_OPEN_REGISTRY) (default: false)"
    )
    var opsOpenRegistry: Bool?

    @Option(help: "Client connections to the ops port at most; further ones are closed at accept (env: KKS_OPS_MAX_CONNECTIONS) (default: 64)")
    var opsMaxConnections: Int?

    @Option(
        help:
            "Seconds an ops client has to send a whole request (from connecting, or from the previous response) before it is disconnected (env: KKS_OPS_REQUEST_TIMEOUT) (default: 10)"
    )
    var opsRequestTimeout: Double?

    @Option(
        help:
            "File whose bytes (at least 16) key source fingerprints, so they are equal across replicas; without it each process draws a random key (env: KKS_FINGERPRINT_KEY_FILE) (default: none)"
    )
    var fingerprintKeyFile: String?

    @Option(
        help: """
            PEM certificate chain (leaf first); with --tls-key the gRPC port serves TLS 1.2+ with ALPN h2 instead of h2c, \
            and the files are re-read when they change (env: KKS_TLS_CERT) (default: none). Kubernetes gRPC probes never use \
            TLS: with TLS on, probe with an exec probe running `keda-kafka-scaler health` (no plaintext port is provided)
            """)
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert (env: KKS_TLS_KEY) (default: none)")
    var tlsKey: String?

    @Option(help: "PEM CA bundle; enables mTLS: clients must present a certificate issued by it (env: KKS_TLS_CLIENT_CA) (default: none)")
    var tlsClientCa: String?

    @Option(
        help:
            "With --tls-client-ca: names (DNS subjectAltName, else CN; comma- or space-separated) of the only clients that may connect, e.g. KEDA's operator certificate (env: KKS_ALLOWED_CLIENT_NAMES) (default: none, any client the CA issued)"
    )
    var allowedClientNames: String?

    /// The options after flags, environment and defaults were applied.
    private struct Resolved {
        var settings: ScalerSettings
        var logLevel: Logger.Level
        var logFormat: LogFormat
    }

    private func resolve() throws -> Resolved {
        func portValue(_ flag: Int?, _ variable: String, _ fallback: Int) throws -> Int {
            let value = try EnvironmentOption.resolve(flag, variable: variable, default: fallback) { Int($0) }
            guard (0...65_535).contains(value) else { throw ValidationError("\(variable.dropFirst(4).lowercased()) \(value) is outside 0...65535") }
            return value
        }
        func seconds(_ flag: Double?, _ variable: String, _ fallback: Double, minimum: Double = 0) throws -> Duration {
            let value = try EnvironmentOption.resolve(flag, variable: variable, default: fallback) { Double($0) }
            guard value.isFinite, value >= minimum, value <= 86_400 else {
                throw ValidationError("\(variable) value \(value) must be a number of seconds from \(minimum) to 86400")
            }
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        func path(_ flag: String?, _ variable: String) throws -> String? {
            let value = try EnvironmentOption.resolve(flag, variable: variable, default: "") { $0 }
            return value.isEmpty ? nil : value
        }
        func count(_ flag: Int?, _ variable: String, _ fallback: Int) throws -> Int {
            let value = try EnvironmentOption.resolve(flag, variable: variable, default: fallback) { Int($0) }
            guard value >= 1 else { throw ValidationError("\(variable) value \(value) must be at least 1") }
            return value
        }
        func boolean(_ flag: Bool?, _ variable: String, default fallback: Bool = false) throws -> Bool {
            try EnvironmentOption.resolve(flag, variable: variable, default: fallback) { Bool($0) }
        }
        var settings = ScalerSettings.defaults
        settings.host = try EnvironmentOption.resolve(host, variable: "KKS_HOST", default: settings.host) { $0 }
        settings.port = try portValue(port, "KKS_PORT", settings.port)
        settings.tls = ScalerSettings.TLS(
            certificateChain: try path(tlsCert, "KKS_TLS_CERT"), privateKey: try path(tlsKey, "KKS_TLS_KEY"),
            clientCA: try path(tlsClientCa, "KKS_TLS_CLIENT_CA")
        )
        settings.allowedClientNames = try path(allowedClientNames, "KKS_ALLOWED_CLIENT_NAMES")
        settings.maxConnections = try count(maxConnections, "KKS_MAX_CONNECTIONS", settings.maxConnections)
        settings.handshakeTimeout = try seconds(handshakeTimeout, "KKS_HANDSHAKE_TIMEOUT", 10, minimum: 0.1)
        settings.idleTimeout = try seconds(idleTimeout, "KKS_IDLE_TIMEOUT", 600, minimum: 1)
        settings.shutdownGrace = try seconds(shutdownGrace, "KKS_SHUTDOWN_GRACE", 20)
        settings.lagCacheTTL = try seconds(lagCacheTtl, "KKS_LAG_CACHE_TTL", 2)
        settings.kafkaTimeout = try seconds(kafkaTimeout, "KKS_KAFKA_TIMEOUT", 5, minimum: 0.1)
        settings.maxRegistryEntries = try count(maxRegistryEntries, "KKS_MAX_REGISTRY_ENTRIES", settings.maxRegistryEntries)
        settings.maxKafkaConnections = try count(maxKafkaConnections, "KKS_MAX_KAFKA_CONNECTIONS", settings.maxKafkaConnections)
        settings.authProfiles = try path(authProfiles, "KKS_AUTH_PROFILES")
        settings.allowReadableProfiles = try boolean(allowReadableProfiles, "KKS_ALLOW_READABLE_PROFILES")
        settings.allowedBootstrapServers = try path(allowedBootstrapServers, "KKS_ALLOWED_BOOTSTRAP_SERVERS")
        settings.awsOperatorCredentials = try boolean(awsOperatorCredentials, "KKS_AWS_OPERATOR_CREDENTIALS")
        settings.profilePollInterval =
            try boolean(watchProfiles, "KKS_WATCH_PROFILES", default: true)
            ? try seconds(profilePollInterval, "KKS_PROFILE_POLL_INTERVAL", 1, minimum: 0.1) : nil
        settings.fingerprintKeyFile = try path(fingerprintKeyFile, "KKS_FINGERPRINT_KEY_FILE")
        settings.allowCoreDumps = try boolean(allowCoreDumps, "KKS_ALLOW_CORE_DUMPS")
        let opsPort = try portValue(opsPort, "KKS_OPS_PORT", OpsServer.Configuration.defaults.port)
        settings.ops =
            opsPort == 0
            ? nil
            : OpsServer.Configuration(
                host: try EnvironmentOption.resolve(opsHost, variable: "KKS_OPS_HOST", default: settings.host) { $0 },
                port: opsPort,
                access: OpsAccess(
                    adminTokenFile: try path(adminTokenFile, "KKS_ADMIN_TOKEN_FILE"),
                    trustLoopback: try boolean(opsTrustLoopback, "KKS_OPS_TRUST_LOOPBACK"),
                    openRegistry: try boolean(opsOpenRegistry, "KKS_OPS_OPEN_REGISTRY")
                ),
                limits: OpsLimits(
                    maxConnections: try count(opsMaxConnections, "KKS_OPS_MAX_CONNECTIONS", OpsLimits.defaults.maxConnections),
                    requestTimeout: try seconds(opsRequestTimeout, "KKS_OPS_REQUEST_TIMEOUT", 10, minimum: 0.1),
                    maxURIBytes: OpsLimits.defaults.maxURIBytes, maxBodyBytes: OpsLimits.defaults.maxBodyBytes
                )
            )
        do {
            try settings.validate()
        } catch {
            throw Self.flagError(error)
        }
        return Resolved(
            settings: settings,
            logLevel: try EnvironmentOption.resolve(logLevel, variable: "KKS_LOG_LEVEL", default: .info) { Logger.Level(rawValue: $0) },
            logFormat: try EnvironmentOption.resolve(logFormat, variable: "KKS_LOG_FORMAT", default: .text) { LogFormat(rawValue: $0) }
        )
    }

    /// `error` naming the flag to fix.
    private static func flagError(_ error: ScalerSettingsError) -> ValidationError {
        ValidationError(
            error.describe { setting in
                switch setting {
                case .tlsCertificateChain: "--tls-cert (KKS_TLS_CERT)"
                case .tlsPrivateKey: "--tls-key (KKS_TLS_KEY)"
                case .tlsClientCA: "--tls-client-ca (KKS_TLS_CLIENT_CA)"
                case .allowedClientNames: "--allowed-client-names (KKS_ALLOWED_CLIENT_NAMES)"
                case .allowedBootstrapServers: "--allowed-bootstrap-servers (KKS_ALLOWED_BOOTSTRAP_SERVERS)"
                case .fingerprintKeyFile: "--fingerprint-key-file (KKS_FINGERPRINT_KEY_FILE)"
                case .allowCoreDumps: "--allow-core-dumps (KKS_ALLOW_CORE_DUMPS)"
                }
            })
    }

    func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let options = try resolve()
        options.logFormat.bootstrap(level: options.logLevel)
        let metrics = MetricsBootstrap.prometheus()
        let logger = Logger(label: "keda-kafka-scaler")
        let scaler: ScalerAssembly
        do {
            scaler = try ScalerAssembly(settings: options.settings, metrics: metrics)
        } catch let error as ScalerSettingsError {
            throw Self.flagError(error)
        }
        var configuration = ServiceGroupConfiguration(services: scaler.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.settings.shutdownGrace + .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
    }
}
