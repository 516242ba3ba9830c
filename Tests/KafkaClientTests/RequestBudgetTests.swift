import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

/// DESIGN.md §5: one evaluation costs one OffsetFetch to the group coordinator, at
/// most one ListOffsets per partition leader, and no Metadata request once the
/// topic's partitions are cached — counted from librdkafka's own statistics.
extension MockClusterTests {
    @Suite("Kafka requests per evaluation", .serialized, .timeLimit(.minutes(2)))
    struct RequestBudgetTests {
        @Test("Warm evaluations send 1 OffsetFetch, 1 ListOffsets per leader, no Metadata", arguments: [Int32(1), 3, 12])
        func warmEvaluation(partitions: Int32) async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "budget", partitions: partitions)
                var configuration = KafkaClientConfiguration.defaults
                configuration.statisticsInterval = .milliseconds(100)
                let leaders = Set((0..<partitions).map(cluster.leader(ofPartition:))).count
                try await ClusterFixture.withClient(cluster, configuration: configuration) { client in
                    let source = Source(connection: cluster.connection, consumerGroup: "budget-group", topic: "budget")
                    let cold = try #require(await client.nextStatistics())
                    _ = try await client.observe(source, deadline: .now + .seconds(5))
                    let warm = try #require(await client.nextStatistics())
                    #expect((warm.requests(since: cold)["Metadata"] ?? 0) >= 1, "the cold evaluation reads metadata")

                    for _ in 0..<3 {
                        let before = try #require(await client.nextStatistics())
                        _ = try await client.observe(source, deadline: .now + .seconds(5))
                        let after = try #require(await client.nextStatistics())
                        let sent = after.requests(since: before)
                        #expect(sent["OffsetFetch"] == 1, "\(sent)")
                        #expect(sent["ListOffsets"] == leaders, "\(sent)")
                        #expect(sent["Metadata"] == nil, "\(sent)")
                        let perBroker = after.requests("ListOffsets", since: before)
                        #expect(
                            perBroker.count == leaders && perBroker.values.allSatisfy { $0 == 1 }, "one ListOffsets per leader broker: \(perBroker)")
                    }
                }
            }
        }
    }
}
