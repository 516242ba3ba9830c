public import KafkaLag

/// Reads one ``Observation`` for a ``Source`` with the fewest round trips:
/// one OffsetFetch and one batched ListOffsets, run concurrently when the topic
/// is known; partitions come from the metadata cache.
public struct ObservationAssembly<Queries: OffsetQueries>: Sendable {
    /// The round trips this reader composes.
    public let queries: Queries

    public init(queries: Queries) {
        self.queries = queries
    }

    /// One observation of `source`; every query gets the same `deadline`.
    /// A failure forgets the cached partitions of the topics involved.
    public func observe(_ source: Source, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> Observation {
        if source.topic.isEmpty {
            try await observeAllTopics(group: source.consumerGroup, deadline: deadline)
        } else {
            try await observe(topic: source.topic, group: source.consumerGroup, deadline: deadline)
        }
    }

    private func observe(topic: String, group: String, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> Observation {
        let partitions = try await queries.partitions(ofTopic: topic, deadline: deadline)
            .sorted()
            .map { TopicPartition(topic: topic, partition: $0) }
        guard !partitions.isEmpty else { return Observation(committed: [:], latest: [:]) }
        async let committedResult = Self.capture { () async throws(KafkaLagError) in
            try await queries.committedOffsets(group: group, partitions: partitions, deadline: deadline)
        }
        async let latestResult = Self.capture { () async throws(KafkaLagError) in
            try await queries.logEndOffsets(of: partitions, deadline: deadline)
        }
        let (committed, latest) = await (committedResult, latestResult)
        do throws(KafkaLagError) {
            let offsets = try committed.get()
            for partition in partitions where offsets[partition] == nil {
                throw KafkaLagError(
                    .failedPrecondition,
                    "error finding offset block for topic \(topic) and partition \(partition.partition) from offset block: missing from the OffsetFetch response"
                )
            }
            return Observation(committed: offsets, latest: try latest.get())
        } catch {
            queries.invalidatePartitions(ofTopics: [topic])
            throw error
        }
    }

    /// KEDA's empty-topic mode: every topic the group committed to, each with all its partitions.
    private func observeAllTopics(group: String, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> Observation {
        var committed = try await queries.committedOffsets(group: group, partitions: nil, deadline: deadline)
        let topics = Set(committed.keys.map(\.topic)).sorted()
        guard !topics.isEmpty else { return Observation(committed: [:], latest: [:]) }
        var partitions: [TopicPartition] = []
        for topic in topics {
            let ids = try await queries.partitions(ofTopic: topic, deadline: deadline)
            partitions += ids.sorted().map { TopicPartition(topic: topic, partition: $0) }
        }
        for partition in partitions where committed[partition] == nil {
            committed[partition] = -1
        }
        do throws(KafkaLagError) {
            return Observation(committed: committed, latest: try await queries.logEndOffsets(of: partitions, deadline: deadline))
        } catch {
            queries.invalidatePartitions(ofTopics: topics)
            throw error
        }
    }

    private static func capture<T>(_ body: () async throws(KafkaLagError) -> T) async -> Result<T, KafkaLagError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
