import KafkaLag
@testable import LibrdkafkaClient
import Synchronization
import Testing

/// An in-memory Kafka: what the group committed, what each topic holds, and
/// failures to inject. Records every query so tests can count round trips.
final class FakeQueries: OffsetQueries {
    struct State {
        var topics: [String: [Int32: Int64]] = [:]
        var committed: [String: [TopicPartition: Int64]] = [:]
        var failLogEnd: KafkaLagError?
        var calls: [String] = []
        var invalidated: [String] = []
        var logEndStarted = false
    }

    let state: Mutex<State>

    init(_ state: State) {
        self.state = Mutex(state)
    }

    var calls: [String] { state.withLock { $0.calls } }
    var invalidated: [String] { state.withLock { $0.invalidated } }

    func partitions(ofTopic topic: String, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [Int32] {
        try state.withLock { state throws(KafkaLagError) in
            state.calls.append("metadata \(topic)")
            guard let partitions = state.topics[topic] else {
                throw KafkaLagError(.failedPrecondition, "error describing topics: unknown \(topic)")
            }
            return Array(partitions.keys)
        }
    }

    func committedOffsets(group: String, partitions: [TopicPartition]?, deadline: ContinuousClock.Instant) async throws(KafkaLagError)
        -> [TopicPartition: Int64]
    {
        // Proves concurrency: with a topic, the log-end query starts before this one answers.
        if partitions != nil {
            for _ in 0..<2000 where !state.withLock({ $0.logEndStarted }) {
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        return state.withLock { state in
            state.calls.append(partitions == nil ? "offsetFetch \(group) all" : "offsetFetch \(group) \(partitions!.count)")
            let committed = state.committed[group] ?? [:]
            guard let partitions else { return committed }
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, committed[$0] ?? -1) })
        }
    }

    func logEndOffsets(of partitions: [TopicPartition], deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [String: [Int32: Int64]] {
        try state.withLock { state throws(KafkaLagError) in
            state.logEndStarted = true
            state.calls.append("listOffsets \(partitions.count)")
            if let failure = state.failLogEnd { throw failure }
            return partitions.reduce(into: [:]) { latest, partition in
                latest[partition.topic, default: [:]][partition.partition] = state.topics[partition.topic]?[partition.partition]
            }
        }
    }

    func invalidatePartitions(ofTopics topics: [String]) {
        state.withLock { $0.invalidated += topics }
    }
}

@Suite("ObservationAssembly over a fake query layer", .timeLimit(.minutes(1)))
struct ObservationAssemblyTests {
    static let connection = ConnectionSettings(bootstrapServers: ["fake:9092"])
    static let deadline = ContinuousClock.now + .seconds(60)

    static func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    static func kafka() -> FakeQueries {
        FakeQueries(
            FakeQueries.State(
                topics: ["a": [0: 10, 1: 20, 2: 30], "b": [0: 5, 1: 6], "c": [0: 1]],
                committed: ["g": [tp("a", 0): 4, tp("a", 2): 30, tp("b", 1): 2]]
            ))
    }

    @Test("Empty topic: one all-topics OffsetFetch, then every partition of the group's topics")
    func allTopics() async throws {
        let queries = Self.kafka()
        let observation = try await ObservationAssembly(queries: queries)
            .observe(Source(connection: Self.connection, consumerGroup: "g", topic: ""), deadline: Self.deadline)
        #expect(
            observation.committed == [
                Self.tp("a", 0): 4, Self.tp("a", 1): -1, Self.tp("a", 2): 30,
                Self.tp("b", 0): -1, Self.tp("b", 1): 2,
            ])
        #expect(observation.latest == ["a": [0: 10, 1: 20, 2: 30], "b": [0: 5, 1: 6]])
        #expect(queries.calls == ["offsetFetch g all", "metadata a", "metadata b", "listOffsets 5"])
    }

    @Test("Empty topic and a group that never committed: no topics, no further request")
    func allTopicsNothingCommitted() async throws {
        let queries = Self.kafka()
        let observation = try await ObservationAssembly(queries: queries)
            .observe(Source(connection: Self.connection, consumerGroup: "idle", topic: ""), deadline: Self.deadline)
        #expect(observation == Observation(committed: [:], latest: [:]))
        #expect(queries.calls == ["offsetFetch idle all"])
    }

    @Test("Empty topic: a committed topic that no longer exists fails like KEDA's DescribeTopics")
    func allTopicsDeletedTopic() async throws {
        let queries = Self.kafka()
        queries.state.withLock { $0.committed["g"]?[Self.tp("gone", 0)] = 3 }
        let error = await #expect(throws: KafkaLagError.self) {
            try await ObservationAssembly(queries: queries)
                .observe(Source(connection: Self.connection, consumerGroup: "g", topic: ""), deadline: Self.deadline)
        }
        #expect(error?.code == .failedPrecondition)
    }

    @Test("With a topic: OffsetFetch and ListOffsets run concurrently, once each")
    func oneTopicConcurrently() async throws {
        let queries = Self.kafka()
        let observation = try await ObservationAssembly(queries: queries)
            .observe(Source(connection: Self.connection, consumerGroup: "g", topic: "a"), deadline: Self.deadline)
        #expect(observation.committed == [Self.tp("a", 0): 4, Self.tp("a", 1): -1, Self.tp("a", 2): 30])
        #expect(observation.latest == ["a": [0: 10, 1: 20, 2: 30]])
        // listOffsets was recorded first although offsetFetch was issued first: they overlapped.
        #expect(queries.calls == ["metadata a", "listOffsets 3", "offsetFetch g 3"])
        #expect(queries.invalidated.isEmpty)
    }

    @Test("A failed query invalidates the topic's cached partitions and surfaces its error")
    func failureInvalidates() async throws {
        let queries = Self.kafka()
        queries.state.withLock { $0.failLogEnd = KafkaLagError(.unavailable, "leader gone") }
        let error = await #expect(throws: KafkaLagError.self) {
            try await ObservationAssembly(queries: queries)
                .observe(Source(connection: Self.connection, consumerGroup: "g", topic: "b"), deadline: Self.deadline)
        }
        #expect(error == KafkaLagError(.unavailable, "leader gone"))
        #expect(queries.invalidated == ["b"])

        let allTopicsError = await #expect(throws: KafkaLagError.self) {
            try await ObservationAssembly(queries: queries)
                .observe(Source(connection: Self.connection, consumerGroup: "g", topic: ""), deadline: Self.deadline)
        }
        #expect(allTopicsError?.code == .unavailable)
        #expect(queries.invalidated == ["b", "a", "b"])
    }
}
