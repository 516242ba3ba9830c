public import KafkaLag

/// The Kafka round trips one observation is made of. ``ObservationAssembly``
/// composes them; ``KafkaClient`` implements them over librdkafka, and tests
/// implement them in memory (the 2.0.2 mock cluster cannot answer the
/// all-topics OffsetFetch).
public protocol OffsetQueries: Sendable {
    /// Partition ids of `topic`, from a metadata cache or a topic-scoped Metadata request.
    /// Unknown topic → `failedPrecondition` with KEDA's `error describing topics: ...`.
    func partitions(ofTopic topic: String, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [Int32]

    /// One OffsetFetch to the group coordinator: `partitions`, or every partition the
    /// group committed to when `nil`. No committed offset is `-1`.
    func committedOffsets(
        group: String,
        partitions: [TopicPartition]?,
        deadline: ContinuousClock.Instant
    ) async throws(KafkaLagError) -> [TopicPartition: Int64]

    /// Log-end offsets (high watermarks), batched as one ListOffsets per partition leader.
    func logEndOffsets(of partitions: [TopicPartition], deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [String: [Int32: Int64]]

    /// Forget cached partitions of these topics: a query about them failed, so
    /// leaders or partition counts may have changed.
    func invalidatePartitions(ofTopics topics: [String])
}
