/// A partition of a topic.
public struct TopicPartition: Hashable, Sendable, Comparable {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// The offsets read from Kafka for one ``Source`` in one round trip: what the
/// registry caches and coalesces. Scaling parameters are applied to it per
/// request, so it holds every partition of the topic (or of every topic the
/// group committed to, when the source has no topic).
public struct Observation: Sendable, Hashable {
    /// Committed offsets from OffsetFetch, for every partition asked for.
    /// `-1` means the group has no committed offset there.
    public var committed: [TopicPartition: Int64]
    /// Log-end offsets (high watermarks) from ListOffsets, by topic, then partition.
    /// A partition absent here counts as lag 0, as in KEDA ≥ 2.19.
    public var latest: [String: [Int32: Int64]]

    public init(committed: [TopicPartition: Int64], latest: [String: [Int32: Int64]]) {
        self.committed = committed
        self.latest = latest
    }
}
