import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

extension MockClusterTests {
    /// librdkafka 2.0.2 aborts the process when an admin request's own timer fires while
    /// the request waits for the group coordinator, and that coordinator becomes reachable
    /// later on the same handle (issue 12). The client must let a caller give up without
    /// that timer ever firing, and ask to be replaced before it could.
    @Suite("KafkaClient: admin requests a caller gave up on", .timeLimit(.minutes(1)))
    struct AbandonedAdminRequestTests {
        @Test("a read abandoned while the coordinator is down, then the cluster comes back: the same client serves again")
        func coordinatorComesBack() async throws {
            try await ClusterFixture.withCluster(brokers: 1) { cluster in
                try await ClusterFixture.seed(cluster, topic: "t", partitions: 2)
                try await ClusterFixture.withClient(cluster) { client in
                    let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "t")
                    _ = try await client.observe(source, deadline: .now + .seconds(5))  // partitions cached: the next read sends OffsetFetch at once
                    #expect(!client.needsReplacement)
                    for broker in cluster.brokerIDs { try cluster.setBrokerDown(broker) }
                    await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .milliseconds(1500))
                    }
                    for broker in cluster.brokerIDs { try cluster.setBrokerUp(broker) }
                    // The abandoned request reaches the coordinator now; reads go on through the same handle.
                    let deadline = ContinuousClock.now + .seconds(20)
                    var served = false
                    while !served, ContinuousClock.now < deadline {
                        served = (try? await client.observe(source, deadline: .now + .seconds(2))) != nil
                        if !served { try await Task.sleep(for: .milliseconds(200)) }
                    }
                    #expect(served)
                    try await Task.sleep(for: .seconds(3))
                    #expect(try await client.observe(source, deadline: .now + .seconds(2)).latest["t"]?.count == 2)
                }
            }
        }

        @Test("a client asks to be replaced once an abandoned request is older than the limit")
        func replacementAfterTheLimit() async throws {
            try await ClusterFixture.withCluster(brokers: 1) { cluster in
                try await ClusterFixture.seed(cluster, topic: "t", partitions: 1)
                var configuration = KafkaClientConfiguration.defaults
                configuration.abandonedRequestLimit = .milliseconds(300)
                try await ClusterFixture.withClient(cluster, configuration: configuration) { client in
                    let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "t")
                    _ = try await client.observe(source, deadline: .now + .seconds(5))
                    // Slow answers, not closed sockets: a request to a broker that is down can
                    // fail before the deadline, and then nothing is abandoned.
                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.seconds(3), broker: broker) }
                    await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .milliseconds(500))
                    }
                    #expect(!client.needsReplacement, "not before the limit")
                    // The limit counts from when the wait gave up, which a loaded machine delays.
                    let due = ContinuousClock.now + .seconds(3)
                    while !client.needsReplacement, ContinuousClock.now < due { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(client.needsReplacement)
                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.zero, broker: broker) }
                }
            }
        }
    }
}
