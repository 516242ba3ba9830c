import Foundation
import GRPCCore
import GRPCServerNIO
import KafkaLag
import LibrdkafkaClient
import NIOCore
import Logging
import ScalerRegistry
public import ServiceLifecycle

/// The scaler's parts wired from ``ScalerSettings``: ScalerRegistry on librdkafka readers
/// (with trigger resolution), the ExternalScaler service with Health and reflection, the
/// gRPC server, registry maintenance, profile watching and (optionally) the ops port. The
/// composition root of `serve`, and of `demo`, which runs the real scaler in-process
/// through it: the only place that knows every layer's configuration.
public struct ScalerAssembly: Sendable {
    let registry: ScalerRegistry
    let server: GRPCServer
    /// The services in start order (shut down in reverse: the gRPC server drains first).
    public let services: [ServiceGroupConfiguration.ServiceConfiguration]

    /// Builds the scaler `settings` describe, serving `metrics` on the ops port. Throws
    /// ``ScalerSettingsError`` for settings it cannot start with (TLS files included).
    public init(settings: ScalerSettings, metrics: @escaping @Sendable () -> [UInt8]) throws {
        func logger(_ label: String) -> Logger {
            var logger = Logger(label: label)
            if let level = settings.logLevel { logger.logLevel = level }
            return logger
        }
        let checked = try settings.checked()
        if !settings.allowCoreDumps { try ProcessHardening.disableCoreDumps() }
        if let file = settings.fingerprintKeyFile {
            guard let bytes = FileManager.default.contents(atPath: file) else { throw ScalerSettingsError.unreadableFingerprintKeyFile(file) }
            do {
                try FingerprintKey.use(Array(bytes))
            } catch {
                throw ScalerSettingsError.invalidFingerprintKey(file: file, error.message)
            }
        }
        let tls = try checked.tls.map { files in
            do throws(TLSSetupError) {
                return try TLSContextReloader(files: files, logger: logger("keda-kafka-scaler.tls"))
            } catch {
                throw ScalerSettingsError(error)
            }
        }
        var kafka = KafkaClientConfiguration.defaults
        kafka.kafkaTimeout = settings.kafkaTimeout
        var registryConfiguration = ScalerRegistry.Configuration.defaults
        registryConfiguration.lagCacheTTL = settings.lagCacheTTL
        registryConfiguration.kafkaTimeout = settings.kafkaTimeout
        registryConfiguration.maxEntries = settings.maxRegistryEntries
        registryConfiguration.maxConnections = settings.maxKafkaConnections
        let resolver = TriggerResolver(
            directory: AuthProfileDirectory(root: settings.authProfiles, allowReadableByOthers: settings.allowReadableProfiles),
            allowedBrokers: checked.allowedBrokers, allowOperatorAWSCredentials: settings.awsOperatorCredentials
        )
        registry = ScalerRegistry(
            configuration: registryConfiguration,
            readers: LibrdkafkaReaderFactory(configuration: kafka, logger: logger("keda-kafka-scaler.kafka")),
            resolver: resolver,
            clock: SystemRegistryClock(),
            logger: logger("keda-kafka-scaler.registry")
        )
        var registered = ServiceCatalog(reflectionIndex: try ReflectionIndex.embedded())
        registered.register(ExternalScalerService(registry: registry, resolver: resolver))
        server = GRPCServer(
            configuration: GRPCServerConfiguration(
                host: settings.host, port: settings.port, goAwayDelay: settings.goAwayDelay, shutdownGrace: settings.shutdownGrace,
                handshakeTimeout: settings.handshakeTimeout, idleTimeout: settings.idleTimeout, maxConnections: settings.maxConnections,
                allowedClientNames: checked.allowedClientNames
            ),
            services: registered,
            tls: tls,
            logger: logger("keda-kafka-scaler.grpc")
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let ops = settings.ops {
            let ops = OpsServer(
                configuration: ops, registry: registry, health: registered.health, metrics: metrics, logger: logger("keda-kafka-scaler.ops")
            )
            services.append(.init(service: ops, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "ops-server"))
        }
        services.append(
            .init(
                service: RegistryMaintenance(registry: registry), successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "registry-maintenance"))
        if let interval = settings.profilePollInterval {
            services.append(
                .init(
                    service: ProfileWatcher(registry: registry, interval: interval),
                    successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "profile-watcher"))
        }
        services.append(.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "grpc-server"))
        self.services = services
    }

    /// The gRPC port once bound (the chosen one when ``ScalerSettings/port`` is 0).
    public func grpcPort() async throws -> Int {
        try await server.listeningAddress.port ?? 0
    }
}
