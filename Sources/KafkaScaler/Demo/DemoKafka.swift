public import Logging
import KafkaMockCluster

/// The demo's embedded Kafka: librdkafka's mock cluster with one topic, and the moving
/// workload (``DemoTraffic``) that produces to it and commits for one consumer group. It
/// lives beside ``ScalerAssembly`` so `demo` runs the real scaler against a real Kafka
/// protocol without the executable knowing the mock cluster.
public struct DemoKafka: Sendable {
    /// The topic the workload produces to.
    public let topic: String
    /// The topic's partitions.
    public let partitions: Int
    /// The consumer group whose commits trail the producer.
    public let group: String
    private let cluster: MockKafkaCluster

    /// The cluster's `host:port` list, for a trigger's `bootstrapServers`.
    public var bootstrapServers: String { cluster.bootstrapServers }

    private init(cluster: MockKafkaCluster, topic: String, partitions: Int, group: String) {
        self.cluster = cluster
        self.topic = topic
        self.partitions = partitions
        self.group = group
    }

    /// Starts a mock cluster of `brokers` brokers holding `topic` with `partitions`
    /// partitions; a failure destroys what was started.
    public static func start(brokers: Int, topic: String, partitions: Int, group: String) async throws -> DemoKafka {
        let cluster = try MockKafkaCluster(brokers: brokers)
        do {
            try await cluster.createTopic(topic, partitions: Int32(partitions))
        } catch {
            await cluster.close()
            throw error
        }
        return DemoKafka(cluster: cluster, topic: topic, partitions: partitions, group: group)
    }

    /// The service that drives the workload from `start` until the demo shuts down.
    public func workload(start: ContinuousClock.Instant, logger: Logger) -> DemoWorkload {
        DemoWorkload(cluster: cluster, group: group, start: start, traffic: DemoTraffic(topic: topic, partitions: partitions), logger: logger)
    }

    /// Destroys the cluster; call it once the workload has stopped.
    public func close() async {
        await cluster.close()
    }
}
