import KafkaLag

/// One line of the `kafka-mock-cluster` control protocol, parsed.
/// Kept in the library so the grammar is unit-tested.
public enum MockClusterCommand: Sendable, Hashable {
    case create(topic: String, partitions: Int32)
    case produce(topic: String, partition: Int32, count: Int)
    case commit(group: String, topic: String, partition: Int32, offset: Int64)
    case down(broker: Int32)
    case up(broker: Int32)
    case rtt(broker: Int32, milliseconds: Int)
    case quit

    /// The grammar, one command per line, words separated by blanks.
    public static let usage = """
        create <topic> <partitions> | produce <topic> <partition> <count> | \
        commit <group> <topic> <partition> <offset> | down <broker> | up <broker> | \
        rtt <broker> <ms> | quit
        """

    /// Parses one line; the error names the offending word.
    public init(parsing line: String) throws(MockKafkaClusterError) {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let verb = words.first else { throw MockKafkaClusterError(.invalidArgument, "empty command; expected \(Self.usage)") }
        let arguments = Array(words.dropFirst())
        func expect(_ names: String...) throws(MockKafkaClusterError) {
            guard arguments.count == names.count else {
                throw MockKafkaClusterError(
                    .invalidArgument, "\(verb) takes \(names.count) arguments: \(verb) \(names.map { "<\($0)>" }.joined(separator: " "))")
            }
        }
        func number<T: FixedWidthInteger>(_ index: Int, _ name: String, min: T = 0) throws(MockKafkaClusterError) -> T {
            guard let value = T(arguments[index]), value >= min else {
                throw MockKafkaClusterError(.invalidArgument, "\(name) must be an integer ≥ \(min), got \(arguments[index])")
            }
            return value
        }
        switch verb {
        case "create":
            try expect("topic", "partitions")
            self = .create(topic: arguments[0], partitions: try number(1, "partitions", min: 1))
        case "produce":
            try expect("topic", "partition", "count")
            self = .produce(topic: arguments[0], partition: try number(1, "partition"), count: try number(2, "count"))
        case "commit":
            try expect("group", "topic", "partition", "offset")
            self = .commit(group: arguments[0], topic: arguments[1], partition: try number(2, "partition"), offset: try number(3, "offset"))
        case "down":
            try expect("broker")
            self = .down(broker: try number(0, "broker", min: 1))
        case "up":
            try expect("broker")
            self = .up(broker: try number(0, "broker", min: 1))
        case "rtt":
            try expect("broker", "ms")
            self = .rtt(broker: try number(0, "broker", min: 1), milliseconds: try number(1, "ms"))
        case "quit":
            try expect()
            self = .quit
        default:
            throw MockKafkaClusterError(.invalidArgument, "unknown command \(verb); expected \(Self.usage)")
        }
    }

    /// Performs the command on `cluster` (`quit` does nothing here: the caller stops).
    public func apply(to cluster: MockKafkaCluster) async throws(MockKafkaClusterError) {
        switch self {
        case .create(let topic, let partitions):
            try await cluster.createTopic(topic, partitions: partitions)
        case .produce(let topic, let partition, let count):
            try await cluster.produce(topic: topic, partition: partition, count: count)
        case .commit(let group, let topic, let partition, let offset):
            try await cluster.commit(group: group, offsets: [TopicPartition(topic: topic, partition: partition): offset])
        case .down(let broker):
            try cluster.setBrokerDown(broker)
        case .up(let broker):
            try cluster.setBrokerUp(broker)
        case .rtt(let broker, let milliseconds):
            try cluster.setRoundTripTime(.milliseconds(milliseconds), broker: broker)
        case .quit:
            break
        }
    }
}
