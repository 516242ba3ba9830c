import GRPCCore
public import GRPCServerNIO
public import KafkaLag
public import LibrdkafkaClient
public import Logging
public import ScalerRegistry
public import ServiceLifecycle

/// The scaler's parts wired as `serve` wires them: TriggerResolver, ScalerRegistry on
/// librdkafka readers, the ExternalScaler service with Health and reflection, the gRPC
/// server, registry maintenance and (optionally) the ops port: the composition root of
/// `serve`, and of `demo`, which runs the real scaler in-process through it.
public struct ScalerAssembly {
    public let registry: ScalerRegistry
    public let server: GRPCServer
    /// The services in start order (shut down in reverse: the gRPC server drains first).
    public let services: [ServiceGroupConfiguration.ServiceConfiguration]

    /// Serves gRPC as `grpc` says (over TLS when `tls` is given), reads Kafka with
    /// `kafka`, keeps observations as `registryConfiguration` says, reads auth profiles
    /// from `authProfiles` (files readable by others only when `allowReadableProfiles`),
    /// dials only `allowedBrokers` when given, signs MSK IAM tokens with its own AWS
    /// credentials only when `allowOperatorAWSCredentials`, polls auth profiles in use every
    /// `profilePollInterval` when given, and serves the ops port when `ops` is given. Loggers take
    /// `logLevel` when given, else the bootstrapped handler's level.
    public init(
        grpc: GRPCServerConfiguration, tls: TLSContextReloader? = nil, registry registryConfiguration: ScalerRegistry.Configuration,
        kafka: KafkaClientConfiguration = .defaults, authProfiles: String? = nil, allowReadableProfiles: Bool = false,
        allowedBrokers: [BrokerPattern]? = nil, allowOperatorAWSCredentials: Bool = false, profilePollInterval: Duration? = nil,
        ops: OpsServer.Configuration?,
        metrics: @escaping @Sendable () -> [UInt8], logLevel: Logger.Level? = nil
    ) throws {
        func logger(_ label: String) -> Logger {
            var logger = Logger(label: label)
            if let logLevel { logger.logLevel = logLevel }
            return logger
        }
        let resolver = TriggerResolver(
            directory: AuthProfileDirectory(root: authProfiles, allowReadableByOthers: allowReadableProfiles), allowedBrokers: allowedBrokers,
            allowOperatorAWSCredentials: allowOperatorAWSCredentials
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
            configuration: grpc,
            services: registered,
            tls: tls,
            logger: logger("keda-kafka-scaler.grpc")
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let ops {
            let ops = OpsServer(
                configuration: ops, registry: registry, health: registered.health, metrics: metrics, logger: logger("keda-kafka-scaler.ops")
            )
            services.append(.init(service: ops, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "ops-server"))
        }
        services.append(
            .init(
                service: RegistryMaintenance(registry: registry), successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "registry-maintenance"))
        if let profilePollInterval {
            services.append(
                .init(
                    service: ProfileWatcher(registry: registry, interval: profilePollInterval),
                    successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "profile-watcher"))
        }
        services.append(.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "grpc-server"))
        self.services = services
    }
}
