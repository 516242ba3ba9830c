// Integration tests of KafkaClient against librdkafka 2.0.2's mock cluster over real TCP.
//
// Mock limits hit (librdkafka 2.0.2, src/rdkafka_mock_handlers.c):
// - OffsetFetch with null topics (ListConsumerGroupOffsets(group, NULL), KEDA's empty-topic mode)
//   returns an empty list instead of every committed partition: that path is tested over a fake
//   query layer in ObservationAssemblyTests.
// - Commits from a consumer that never joined are stored with generation -1 and no members;
//   the mock does not check generations, so they succeed.
// - An unknown group answers OffsetFetch with no error and offset -1 everywhere.
// - ListOffsets ignores the isolation level and timestamps (only logical END/BEGINNING work),
//   so read_committed vs read_uncommitted cannot be told apart here.
// - Metadata is served at v2 only, which has no AllowAutoTopicCreation flag: asking about an
//   unknown topic creates it with 4 partitions. Unknown or forbidden topics are staged with
//   rd_kafka_mock_topic_set_error instead.
// - There is no SASL/TLS listener: the mock does not implement SaslHandshake, so a SASL client
//   fails with "SASL Handshake not supported by broker" (an authentication error, which is how
//   the unauthenticated path is tested); wrong credentials or TLS cannot be staged.
import Foundation
import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

extension MockClusterTests {
    @Suite("KafkaClient against the mock cluster", .serialized, .timeLimit(.minutes(3)))
    struct KafkaClientIntegrationTests {
        @Test("Committed, uncommitted and partly committed groups", arguments: [Int32(1), 3, 100])
        func observesOffsets(partitions: Int32) async throws {
            try await ClusterFixture.withCluster { cluster in
                let topic = "orders-\(partitions)"
                try await ClusterFixture.seed(cluster, topic: topic, partitions: partitions)
                let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
                // Full group: one message behind on odd partitions. Partial group: even partitions only.
                let full = Dictionary(
                    uniqueKeysWithValues: all.map { ($0, Int64(ClusterFixture.messages(partition: $0.partition) - Int($0.partition % 2))) })
                let partial = full.filter { $0.key.partition % 2 == 0 }
                try await cluster.commit(group: "full", offsets: full)
                try await cluster.commit(group: "partial", offsets: partial)
                let expectedLatest = [
                    topic: Dictionary(uniqueKeysWithValues: all.map { ($0.partition, Int64(ClusterFixture.messages(partition: $0.partition))) })
                ]

                try await ClusterFixture.withClient(cluster) { client in
                    for (group, committed) in [("full", full), ("partial", partial), ("never", [:])] {
                        let source = Source(connection: cluster.connection, consumerGroup: group, topic: topic)
                        let observation = try await client.observe(source, deadline: .now + .seconds(10))
                        let expected = Dictionary(uniqueKeysWithValues: all.map { ($0, committed[$0] ?? -1) })
                        #expect(observation.committed == expected, "group \(group)")
                        #expect(observation.latest == expectedLatest, "group \(group)")
                    }
                }
            }
        }

        @Test(
            "Topic errors in Metadata map to their codes",
            arguments: [
                (MockKafkaError.unknownTopicOrPartition, KafkaLagError.Code.failedPrecondition),
                (.topicAuthorizationFailed, .permissionDenied),
            ]
        )
        func topicErrors(error: MockKafkaError, code: KafkaLagError.Code) async throws {
            try await ClusterFixture.withCluster { cluster in
                cluster.setTopicError("missing", error)
                try await ClusterFixture.withClient(cluster) { client in
                    let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "missing")
                    let thrown = await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(5))
                    }
                    #expect(thrown?.code == code)
                    #expect(thrown?.message.hasPrefix("error describing topics: ") == true)
                    if error == .unknownTopicOrPartition {
                        #expect(
                            thrown?.message
                                == "error describing topics: kafka server: Request was for a topic or partition that does not exist on this broker")
                    }
                    // The error is not cached: once the topic is fine, the same client reads it.
                    cluster.setTopicError("missing", nil)
                    let observation = try await client.observe(source, deadline: .now + .seconds(5))
                    #expect(observation.committed.count == 4)
                }
            }
        }

        @Test(
            "Errors in OffsetFetch and ListOffsets responses map to their codes",
            arguments: [
                (MockKafkaAPI.offsetFetch, MockKafkaError.groupAuthorizationFailed, KafkaLagError.Code.permissionDenied),
                (.listOffsets, .topicAuthorizationFailed, .permissionDenied),
                (.listOffsets, .unknownTopicOrPartition, .failedPrecondition),
            ]
        )
        func responseErrors(api: MockKafkaAPI, error: MockKafkaError, code: KafkaLagError.Code) async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "events", partitions: 3)
                let source = Source(connection: cluster.connection, consumerGroup: "workers", topic: "events")
                try await ClusterFixture.withClient(cluster) { client in
                    let healthy = try await client.observe(source, deadline: .now + .seconds(5))
                    // One evaluation sends one OffsetFetch, and one ListOffsets per leader broker.
                    cluster.failNextRequests(api, with: error, count: api == .offsetFetch ? 1 : cluster.brokerIDs.count)
                    let start = ContinuousClock.now
                    let thrown = await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(3))
                    }
                    #expect(thrown?.code == code, "\(thrown.map(String.init(describing:)) ?? "")")
                    #expect(ClusterFixture.elapsed(since: start) < 2, "a permanent error does not wait for the deadline")
                    #expect(try await client.observe(source, deadline: .now + .seconds(5)) == healthy)
                }
            }
        }

        @Test("A broker down fails within the deadline, then the same client recovers")
        func brokerDownAndBack() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "events", partitions: 3)
                let offsets = [TopicPartition(topic: "events", partition: 0): Int64(1), TopicPartition(topic: "events", partition: 2): 3]
                try await cluster.commit(group: "workers", offsets: offsets)
                let source = Source(connection: cluster.connection, consumerGroup: "workers", topic: "events")
                try await ClusterFixture.withClient(cluster) { client in
                    let before = try await client.observe(source, deadline: .now + .seconds(5))
                    try cluster.setBrokerDown(cluster.leader(ofPartition: 1))
                    let start = ContinuousClock.now
                    let error = await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(2))
                    }
                    let elapsed = ClusterFixture.elapsed(since: start)
                    #expect([.unavailable, .timedOut].contains(error?.code))
                    #expect(elapsed < 2.5, "failed after \(elapsed) s")

                    try cluster.setBrokerUp(cluster.leader(ofPartition: 1))
                    let after = try await client.observe(source, deadline: .now + .seconds(8))
                    #expect(after == before)
                    #expect(after.committed[TopicPartition(topic: "events", partition: 1)] == -1)
                    #expect(after.latest["events"] == [0: 2, 1: 3, 2: 4])
                }
            }
        }

        @Test("All brokers down: 'unreachable or not answering', naming the brokers (UNAVAILABLE unless the caller's deadline ran out)")
        func allBrokersDown() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "events", partitions: 3)
                let source = Source(connection: cluster.connection, consumerGroup: "workers", topic: "events")
                try await ClusterFixture.withClient(cluster) { client in
                    _ = try await client.observe(source, deadline: .now + .seconds(5))
                    for broker in cluster.brokerIDs { try cluster.setBrokerDown(broker) }
                    let start = ContinuousClock.now
                    let error = await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(2))
                    }
                    #expect(ClusterFixture.elapsed(since: start) < 2.5)
                    #expect(error?.code == .timedOut)
                    #expect(
                        error?.message.contains("Kafka brokers \(cluster.bootstrapServers) unreachable or not answering") == true,
                        "\(error?.message ?? "")")
                    for broker in cluster.brokerIDs { try cluster.setBrokerUp(broker) }
                }
            }
        }

        @Test("2 s round trips against a 1 s deadline time out after about 1 s")
        func slowBrokersTimeOut() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "slow", partitions: 3)
                let source = Source(connection: cluster.connection, consumerGroup: "workers", topic: "slow")
                try await ClusterFixture.withClient(cluster) { client in
                    let before = try await client.observe(source, deadline: .now + .seconds(5))
                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.seconds(2), broker: broker) }
                    let start = ContinuousClock.now
                    let error = await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(1))
                    }
                    let elapsed = ClusterFixture.elapsed(since: start)
                    #expect(error?.code == .timedOut, "\(error.map(String.init(describing:)) ?? "")")
                    #expect(elapsed >= 0.9 && elapsed <= 1.6, "timed out after \(elapsed) s")

                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.zero, broker: broker) }
                    #expect(try await client.observe(source, deadline: .now + .seconds(8)) == before)
                }
            }
        }

        @Test("The caller's deadline is capped by the configured Kafka timeout")
        func kafkaTimeoutCapsDeadline() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "slow", partitions: 1)
                var configuration = KafkaClientConfiguration.defaults
                configuration.kafkaTimeout = .milliseconds(500)
                try await ClusterFixture.withClient(cluster, configuration: configuration) { client in
                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.seconds(2), broker: broker) }
                    let start = ContinuousClock.now
                    let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "slow")
                    await #expect(throws: KafkaLagError.self) {
                        try await client.observe(source, deadline: .now + .seconds(30))
                    }
                    #expect(ClusterFixture.elapsed(since: start) < 1.2)
                    for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.zero, broker: broker) }
                }
            }
        }

        @Test(
            "SASL refused by the broker is unauthenticated, within the deadline, without the password",
            arguments: [
                SecuritySettings.SASLMechanism.plaintext, .scramSHA256, .scramSHA512,
            ])
        func saslRefused(mechanism: SecuritySettings.SASLMechanism) async throws {
            try await ClusterFixture.withCluster { cluster in
                try await cluster.createTopic("t", partitions: 1)
                let connection = ConnectionSettings(
                    bootstrapServers: cluster.connection.bootstrapServers,
                    security: SecuritySettings(sasl: mechanism, username: "svc", password: "hunter2")
                )
                let client = try KafkaClient(connection: connection, logger: ClusterFixture.logger)
                let start = ContinuousClock.now
                let error = await #expect(throws: KafkaLagError.self) {
                    try await client.observe(Source(connection: connection, consumerGroup: "g", topic: "t"), deadline: .now + .seconds(1))
                }
                await client.close()
                #expect(ClusterFixture.elapsed(since: start) < 1.6)
                #expect(error?.code == .unauthenticated, "\(error.map(String.init(describing:)) ?? "")")
                #expect(error?.message.contains("hunter2") == false)
            }
        }

        @Test("Closing during an observation waits for it to finish")
        func closeDuringObservation() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "t", partitions: 3)
                let client = try KafkaClient(connection: cluster.connection, logger: ClusterFixture.logger)
                let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "t")
                _ = try await client.observe(source, deadline: .now + .seconds(5))
                for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.milliseconds(500), broker: broker) }
                let observation = Task { try await client.observe(source, deadline: .now + .seconds(5)) }
                try await Task.sleep(for: .milliseconds(100))
                let start = ContinuousClock.now
                await client.close()
                #expect(ClusterFixture.elapsed(since: start) >= 0.2, "close waited for the observation in flight")
                let result = await observation.result
                #expect(throws: Never.self) { try result.get() }
                for broker in cluster.brokerIDs { try cluster.setRoundTripTime(.zero, broker: broker) }
            }
        }

        @Test("Empty topic sends the all-topics OffsetFetch (the 2.0.2 mock answers it with no topics)")
        func allTopicsAgainstMock() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "t", partitions: 2)
                try await cluster.commit(group: "g", offsets: [TopicPartition(topic: "t", partition: 0): 1])
                var configuration = KafkaClientConfiguration.defaults
                configuration.statisticsInterval = .milliseconds(100)
                try await ClusterFixture.withClient(cluster, configuration: configuration) { client in
                    let before = try #require(await client.nextStatistics())
                    let observation = try await client.observe(Source(connection: cluster.connection, consumerGroup: "g", topic: ""))
                    let after = try #require(await client.nextStatistics())
                    // A real broker returns t/0 here; ObservationAssemblyTests covers what follows.
                    #expect(observation == Observation(committed: [:], latest: [:]))
                    #expect(after.requests(since: before)["OffsetFetch"] == 1)
                    #expect(after.requests(since: before)["ListOffsets"] == nil)
                }
            }
        }

        @Test("A closed client refuses to observe")
        func closedClient() async throws {
            try await ClusterFixture.withCluster { cluster in
                let client = try KafkaClient(connection: cluster.connection, logger: ClusterFixture.logger)
                await client.close()
                await client.close()
                let error = await #expect(throws: KafkaLagError.self) {
                    try await client.observe(Source(connection: cluster.connection, consumerGroup: "g", topic: "t"))
                }
                #expect(error?.code == .unavailable)
            }
        }
    }
}
