import Foundation
import KafkaLag
import KafkaMockCluster
import Logging

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
        try cluster.createTopic(topic, partitions: partitions)
        for partition in 0..<partitions {
            try await cluster.produce(topic: topic, partition: partition, count: messages(partition: partition))
        }
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
