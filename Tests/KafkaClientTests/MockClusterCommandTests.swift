import KafkaMockCluster
import Testing

@Suite("kafka-mock-cluster line commands")
struct MockClusterCommandTests {
    @Test(
        "Valid commands",
        arguments: [
            ("create orders 3", MockClusterCommand.create(topic: "orders", partitions: 3)),
            ("produce orders 2 10", .produce(topic: "orders", partition: 2, count: 10)),
            ("  commit  g1 orders 0 7 ", .commit(group: "g1", topic: "orders", partition: 0, offset: 7)),
            ("down 2", .down(broker: 2)),
            ("up 2", .up(broker: 2)),
            ("rtt 1 2000", .rtt(broker: 1, milliseconds: 2000)),
            ("quit", .quit),
        ]
    )
    func valid(line: String, command: MockClusterCommand) throws {
        #expect(try MockClusterCommand(parsing: line) == command)
    }

    @Test(
        "Invalid commands say what is wrong",
        arguments: [
            ("", "empty command"),
            ("explode 1", "unknown command explode"),
            ("create orders", "create takes 2 arguments: create <topic> <partitions>"),
            ("create orders 0", "partitions must be an integer ≥ 1, got 0"),
            ("produce orders x 1", "partition must be an integer ≥ 0, got x"),
            ("commit g t 0 -5", "offset must be an integer ≥ 0, got -5"),
            ("down 0", "broker must be an integer ≥ 1, got 0"),
            ("quit now", "quit takes 0 arguments: quit "),
        ]
    )
    func invalid(line: String, message: String) {
        let error = #expect(throws: MockKafkaClusterError.self) { try MockClusterCommand(parsing: line) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }
}

extension MockClusterTests {
    @Suite("kafka-mock-cluster commands on a cluster", .timeLimit(.minutes(1)))
    struct MockClusterCommandApplyTests {
        @Test("Commands drive a real mock cluster")
        func apply() async throws {
            try await ClusterFixture.withCluster(brokers: 2) { cluster in
                for line in ["create t 2", "produce t 1 3", "commit g t 1 2", "rtt 1 5", "rtt 1 0", "down 2", "up 2"] {
                    try await MockClusterCommand(parsing: line).apply(to: cluster)
                }
                let error = await #expect(throws: MockKafkaClusterError.self) {
                    try await MockClusterCommand(parsing: "produce t 9 1").apply(to: cluster)
                }
                #expect(error?.code == .kafka)
                #expect(error?.message.contains("t/9") == true)
            }
        }
    }
}
