import Foundation
import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Logging
import Testing
import TimeUnits

/// Every suite that starts a mock cluster, run one test at a time: thread and
/// socket counts and latency bounds must not see another test's clients.
@Suite("Against the librdkafka mock cluster", .serialized)
enum MockClusterTests {}

/// Shared helpers: a mock cluster per test, stopped when the body returns or throws.
enum ClusterFixture {
    static let logger: Logger = {
        var logger = Logger(label: "kafka-client-tests")
        logger.logLevel = .critical
        return logger
    }()

    static func withCluster<T>(brokers: Int = 3, _ body: (MockKafkaCluster) async throws -> T) async throws -> T {
        let cluster = try MockKafkaCluster(brokers: brokers)
        do {
            let result = try await body(cluster)
            await cluster.close()
            return result
        } catch {
            await cluster.close()
            throw error
        }
    }

    static func withClient<T>(
        _ cluster: MockKafkaCluster,
        configuration: KafkaClientConfiguration = .defaults,
        _ body: (KafkaClient) async throws -> T
    ) async throws -> T {
        let client = try KafkaClient(connection: cluster.connection, configuration: configuration, logger: logger)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Messages produced to partition `p` in the offset tests: distinct per partition.
    static func messages(partition: Int32) -> Int {
        Int(partition % 7) + 2
    }

    /// Creates `topic` with `partitions` partitions and produces ``messages(partition:)`` to each.
    static func seed(_ cluster: MockKafkaCluster, topic: String, partitions: Int32) async throws {
        try await cluster.createTopic(topic, partitions: partitions)
        try await cluster.produce(
            Dictionary(
                uniqueKeysWithValues: (0..<partitions).map {
                    (TopicPartition(topic: topic, partition: $0), messages(partition: $0))
                }))
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return duration.inSeconds
    }
}
