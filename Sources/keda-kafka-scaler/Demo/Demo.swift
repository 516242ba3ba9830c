import ArgumentParser
import GRPCServerNIO
import KafkaMockCluster
import KafkaScaler
import Logging
import ScalerRegistry
import ServiceLifecycle
import UnixSignals

/// `demo`: the real scaler in-process against librdkafka's mock Kafka cluster with a
/// moving workload, and a live view of what KEDA would see and do.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scaler against an embedded Kafka cluster with a moving workload and watch it scale.",
        discussion: """
            Starts a 3-broker librdkafka mock cluster with topic \(Self.topic) (\(Self.partitions) partitions), a producer \
            and consumer group \(Self.group) whose rates drift, and the scaler on 127.0.0.1 (a free port). Every second it \
            calls the scaler over gRPC as KEDA does and shows the lag per partition, the metric, the activity and the \
            replicas an HPA would run. Ctrl-C stops it.
            """
    )

    static let topic = "orders"
    static let partitions = 6
    static let group = "orders-consumers"

    /// The registry's defaults, but observations are reused for half a second only, so
    /// every frame (one KEDA round per second) shows freshly read offsets.
    static var registryConfiguration: ScalerRegistry.Configuration {
        var configuration = ScalerRegistry.Configuration.defaults
        configuration.lagCacheTTL = .milliseconds(500)
        return configuration
    }

    @Option(help: "Seconds to run before stopping by itself (default: until Ctrl-C)")
    var duration: Double?

    @Option(help: "Also serve the ops port (/metrics, /registry) on 127.0.0.1 at this port (0, like absent, means none)")
    var opsPort: Int?

    @Option(help: "The trigger's lagThreshold")
    var lagThreshold = 200

    @Option(help: "The trigger's activationLagThreshold")
    var activationLagThreshold = 50

    @Option(help: "Log level of the scaler's logs on stderr")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        if let duration, !(duration.isFinite && duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be between 0 and 86400 seconds")
        }
        if let opsPort, !(0...65_535).contains(opsPort) { throw ValidationError("--ops-port \(opsPort) is outside 0...65535") }
        guard lagThreshold > 0 else { throw ValidationError("--lag-threshold must be positive") }
        guard activationLagThreshold >= 0 else { throw ValidationError("--activation-lag-threshold must not be negative") }
    }

    func run() async throws {
        LogFormat.text.bootstrap(level: logLevel)
        let metrics = MetricsBootstrap.prometheus()
        var logger = Logger(label: "keda-kafka-scaler.demo")
        logger.logLevel = logLevel

        let cluster = try MockKafkaCluster(brokers: 3)
        do {
            try await cluster.createTopic(Self.topic, partitions: Int32(Self.partitions))
            try await serve(cluster, metrics: metrics, logger: logger)
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        printError("demo stopped; mock Kafka cluster destroyed")
    }

    private func serve(_ cluster: MockKafkaCluster, metrics: @escaping @Sendable () -> [UInt8], logger: Logger) async throws {
        let scaler = try ScalerAssembly(
            grpc: GRPCServerConfiguration(host: "127.0.0.1", port: 0, goAwayDelay: .milliseconds(100), shutdownGrace: .seconds(3)),
            registry: Self.registryConfiguration,
            ops: opsPort.flatMap {
                $0 == 0
                    ? nil
                    : OpsServer.Configuration(
                        host: "127.0.0.1", port: $0, access: OpsAccess(adminTokenFile: nil, trustLoopback: true, openRegistry: false),
                        limits: .defaults)
            },
            metrics: metrics, logLevel: logLevel
        )
        let ref = ScaledObjectRef(
            name: "orders-processor", namespace: "demo",
            scalerMetadata: [
                "scalerAddress": "127.0.0.1:0",
                "bootstrapServers": cluster.bootstrapServers,
                "consumerGroup": Self.group,
                "topic": Self.topic,
                "lagThreshold": String(lagThreshold),
                "activationLagThreshold": String(activationLagThreshold),
            ])
        let start = ContinuousClock.now
        let workload = DemoWorkload(
            cluster: cluster, group: Self.group, start: start, traffic: DemoTraffic(topic: Self.topic, partitions: Self.partitions),
            logger: logger
        )
        let view = DemoView(
            server: scaler.server, registry: scaler.registry, ref: ref, key: RegistryKey(namespace: ref.namespace, name: ref.name),
            topic: Self.topic, partitions: Self.partitions, bootstrapServers: cluster.bootstrapServers, start: start,
            duration: duration.map { Duration.milliseconds(Int64($0 * 1000)) }, logger: logger
        )
        var services = scaler.services
        services.append(.init(service: workload, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "demo-workload"))
        services.append(.init(service: view, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "demo-view"))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        try await ServiceGroup(configuration: configuration).run()
    }
}
