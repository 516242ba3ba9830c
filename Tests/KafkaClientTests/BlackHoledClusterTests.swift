import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

extension MockClusterTests {
    @Suite("A black-holed cluster does not slow another cluster's reads (issue 13 §0)", .serialized, .timeLimit(.minutes(1)))
    struct BlackHoledClusterTests {
        /// Triggers of distinct topics on the black-holed cluster, each with a read blocked in
        /// librdkafka: more than a shared pool of threads for blocking calls holds.
        static let blockedReads = 300

        @Test("reads blocked for seconds on one cluster end at their deadline and leave a healthy cluster's reads at their usual speed")
        func healthyClusterStaysFast() async throws {
            try await ClusterFixture.withCluster(brokers: 1) { healthy in
                try await ClusterFixture.seed(healthy, topic: "events", partitions: 3)
                try await ClusterFixture.withCluster(brokers: 1) { blackHoled in
                    try blackHoled.setRoundTripTime(.seconds(30), broker: 1)
                    try await ClusterFixture.withClient(healthy) { client in
                        let source = Source(connection: healthy.connection, consumerGroup: "workers", topic: "events")
                        let before = try await client.observe(source, deadline: .now + .seconds(5))
                        let stuck = try KafkaClient(connection: blackHoled.connection, logger: ClusterFixture.logger)
                        let slowest = try await withThrowingTaskGroup(of: Double.self) { group in
                            for index in 0..<Self.blockedReads {
                                let blocked = Source(connection: blackHoled.connection, consumerGroup: "workers", topic: "events-\(index)")
                                group.addTask {
                                    let start = ContinuousClock.now
                                    await #expect(throws: KafkaLagError.self) { try await stuck.observe(blocked, deadline: .now + .seconds(3)) }
                                    return ClusterFixture.elapsed(since: start)
                                }
                            }
                            try await Task.sleep(for: .milliseconds(500))
                            for _ in 0..<3 {
                                let start = ContinuousClock.now
                                #expect(try await client.observe(source, deadline: .now + .seconds(5)) == before)
                                let elapsed = ClusterFixture.elapsed(since: start)
                                #expect(elapsed < 1, "a healthy read took \(elapsed) s beside the black-holed cluster's reads")
                            }
                            return try await group.reduce(0, max)
                        }
                        #expect(slowest < 4.5, "a black-holed read due after 3 s ended after \(slowest) s")
                        await stuck.close()
                    }
                }
            }
        }
    }
}
