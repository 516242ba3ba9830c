import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

extension MockClusterTests {
    /// Blocking librdkafka calls (Metadata, ListOffsets) wait up to their timeout on a
    /// thread each. A cluster that stopped answering must not hold the threads a healthy
    /// cluster's reads need (issue 13).
    @Suite("A black-holed cluster does not slow another cluster's reads", .timeLimit(.minutes(1)))
    struct IsolationTests {
        @Test("eight reads stuck on a slow cluster; a healthy cluster still answers at once")
        func slowClusterIsolated() async throws {
            try await ClusterFixture.withCluster(brokers: 1) { slow in
                try await ClusterFixture.withCluster(brokers: 1) { healthy in
                    let topics = (0..<8).map { "stuck-\($0)" }
                    for topic in topics { try await ClusterFixture.seed(slow, topic: topic, partitions: 1) }
                    try await ClusterFixture.seed(healthy, topic: "fine", partitions: 2)
                    try await ClusterFixture.withClient(slow) { slowClient in
                        try await ClusterFixture.withClient(healthy) { healthyClient in
                            // Connect first, then make every answer of the slow cluster take 4 s.
                            _ = try await slowClient.observe(
                                Source(connection: slow.connection, consumerGroup: "g", topic: topics[0]), deadline: .now + .seconds(5))
                            for broker in slow.brokerIDs { try slow.setRoundTripTime(.seconds(4), broker: broker) }
                            let stuck = Task {
                                await withTaskGroup(of: Void.self) { group in
                                    for topic in topics.dropFirst() {
                                        group.addTask {
                                            _ = try? await slowClient.observe(
                                                Source(connection: slow.connection, consumerGroup: "g", topic: topic), deadline: .now + .seconds(3))
                                        }
                                    }
                                }
                            }
                            try await Task.sleep(for: .milliseconds(300))  // the stuck reads now hold their threads
                            let start = ContinuousClock.now
                            let observation = try await healthyClient.observe(
                                Source(connection: healthy.connection, consumerGroup: "g", topic: "fine"), deadline: .now + .seconds(5)
                            )
                            let elapsed = ClusterFixture.elapsed(since: start)
                            #expect(observation.latest["fine"]?.count == 2)
                            #expect(elapsed < 1.0, "the healthy read waited \(elapsed) s behind the slow cluster")
                            await stuck.value
                            for broker in slow.brokerIDs { try slow.setRoundTripTime(.zero, broker: broker) }
                        }
                    }
                }
            }
        }
    }
}
