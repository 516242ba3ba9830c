import ArgumentParser
import KafkaScaler
import Logging
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

    /// The scaler's defaults on a free port of 127.0.0.1, quick to shut down, with the ops
    /// port only when asked for (registry open to loopback), and observations reused for
    /// half a second only, so every frame (one KEDA round per second) shows freshly read offsets.
    var settings: ScalerSettings {
        var settings = ScalerSettings.defaults
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.goAwayDelay = .milliseconds(100)
        settings.shutdownGrace = .seconds(3)
        settings.lagCacheTTL = .milliseconds(500)
        settings.logLevel = logLevel
        settings.ops = opsPort.flatMap {
            $0 == 0
                ? nil
                : OpsServer.Configuration(
                    host: "127.0.0.1", port: $0, access: OpsAccess(adminTokenFile: nil, trustLoopback: true, openRegistry: false), limits: .defaults)
        }
        return settings
    }

    func run() async throws {
        LogFormat.text.bootstrap(level: logLevel)
        let metrics = MetricsBootstrap.prometheus()
        var logger = Logger(label: "keda-kafka-scaler.demo")
        logger.logLevel = logLevel

        let kafka = try await DemoKafka.start(brokers: 3, topic: Self.topic, partitions: Self.partitions, group: Self.group)
        do {
            try await serve(kafka, metrics: metrics, logger: logger)
        } catch {
            await kafka.close()
            throw error
        }
        await kafka.close()
        printError("demo stopped; mock Kafka cluster destroyed")
    }

    private func serve(_ kafka: DemoKafka, metrics: @escaping @Sendable () -> [UInt8], logger: Logger) async throws {
        let scaler = try ScalerAssembly(settings: settings, metrics: metrics)
        let ref = ScaledObjectRef(
            name: "orders-processor", namespace: "demo",
            scalerMetadata: [
                "scalerAddress": "127.0.0.1:0",
                "bootstrapServers": kafka.bootstrapServers,
                "consumerGroup": kafka.group,
                "topic": kafka.topic,
                "lagThreshold": String(lagThreshold),
                "activationLagThreshold": String(activationLagThreshold),
            ])
        let start = ContinuousClock.now
        let view = DemoView(
            scaler: scaler, ref: ref, kafka: kafka, start: start, duration: duration.map { Duration.milliseconds(Int64($0 * 1000)) }, logger: logger
        )
        var services = scaler.services
        services.append(
            .init(
                service: kafka.workload(start: start, logger: logger), successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "demo-workload"))
        services.append(.init(service: view, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "demo-view"))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        try await ServiceGroup(configuration: configuration).run()
    }
}
