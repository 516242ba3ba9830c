import KafkaLag
import Testing

/// The lag rules of `reference/keda-kafka.md` §4, one rule per test.
@Suite("Lag rules")
struct LagCalculatorTests {
    static let topic = "orders"

    /// An observation of `topic` with (committed, latest) per partition 0, 1, 2, …
    static func observation(_ offsets: [(committed: Int64, latest: Int64?)], topic: String = topic) -> Observation {
        var committed: [TopicPartition: Int64] = [:]
        var latest: [Int32: Int64] = [:]
        for (index, pair) in offsets.enumerated() {
            committed[TopicPartition(topic: topic, partition: Int32(index))] = pair.committed
            if let end = pair.latest { latest[Int32(index)] = end }
        }
        return Observation(committed: committed, latest: [topic: latest])
    }

    static func parameters(_ change: (inout ScalingParameters) -> Void = { _ in }) -> ScalingParameters {
        var parameters = ScalingParameters.defaults
        change(&parameters)
        return parameters
    }

    static func evaluate(
        _ observation: Observation, topic: String = topic, _ parameters: ScalingParameters = parameters(),
        state: PersistentLagState = .empty
    ) throws -> (evaluation: Evaluation, state: PersistentLagState) {
        try LagCalculator.evaluate(observation, topic: topic, consumerGroup: "group", parameters: parameters, state: state)
    }

    @Test("lag is latest minus committed, summed over partitions")
    func sums() throws {
        let (evaluation, _) = try Self.evaluate(Self.observation([(5, 10), (0, 3), (7, 7)]))
        #expect(evaluation.partitions.map(\.lag) == [5, 3, 0])
        #expect(evaluation.totalLag == 8)
        #expect(evaluation.totalLagWithPersistent == 8)
        #expect(evaluation.metricValue == 8)
        #expect(evaluation.partitionCount == 3)
        #expect(evaluation.partitionsWithLag == 2)
        #expect(evaluation.isActive)
    }

    @Test("partitions missing from the latest offsets count 0 and do not count towards the cap")
    func missingLatest() throws {
        let (evaluation, _) = try Self.evaluate(Self.observation([(0, 100), (0, nil), (-1, nil)]), Self.parameters { $0.lagThreshold = 10 })
        #expect(evaluation.partitionCount == 1)
        #expect(evaluation.partitions.map(\.topicPartition.partition) == [0])
        // 100 / 10 = 10 > 1 partition → capped at 1 × 10.
        #expect(evaluation.totalLag == 10)
        #expect(evaluation.totalLagWithPersistent == 100)
    }

    @Test(
        "the cap uses Go's truncating division: it starts at (partitions + 1) × threshold",
        arguments: [
            (Int64(30), Int64(30)), (35, 35), (39, 39), (40, 30), (1000, 30),
        ])
    func capBoundaries(lag: Int64, metric: Int64) throws {
        let observation = Self.observation([(0, lag), (0, 0), (0, 0)])
        let (evaluation, _) = try Self.evaluate(observation, Self.parameters { $0.lagThreshold = 10 })
        #expect(evaluation.metricValue == metric)
        #expect(evaluation.totalLagWithPersistent == lag)
    }

    @Test("allowIdleConsumers without the other flags means no cap")
    func allowIdleConsumers() throws {
        let (evaluation, _) = try Self.evaluate(Self.observation([(0, 1000), (0, 0)]), Self.parameters { $0.allowIdleConsumers = true })
        #expect(evaluation.metricValue == 1000)
    }

    @Test("limitToPartitionsWithLag caps at the partitions that have lag")
    func limitToPartitionsWithLag() throws {
        let limited = Self.parameters { $0.limitToPartitionsWithLag = true }
        let (withLag, _) = try Self.evaluate(Self.observation([(0, 50), (3, 3), (9, 9)]), limited)
        #expect(withLag.partitionsWithLag == 1)
        #expect(withLag.metricValue == 10)
        let (noLag, _) = try Self.evaluate(Self.observation([(3, 3), (9, 9), (1, 1)]), limited)
        #expect(noLag.metricValue == 0)
        #expect(!noLag.isActive)
    }

    @Test(
        "ensureEvenDistributionOfPartitions rounds up to a divisor of the partition count, at least 1 × threshold",
        arguments: [
            (Int64(0), Int64(10)), (1, 10), (10, 10), (11, 20), (21, 50), (50, 50), (51, 100), (10_000, 100),
        ])
    func ensureEven(lag: Int64, metric: Int64) throws {
        var offsets: [(committed: Int64, latest: Int64?)] = [(0, lag)]
        offsets += Array(repeating: (0, 0), count: 9)
        let (evaluation, _) = try Self.evaluate(Self.observation(offsets), Self.parameters { $0.ensureEvenDistributionOfPartitions = true })
        #expect(evaluation.metricValue == metric)
        #expect(evaluation.totalLagWithPersistent == lag)
        #expect(evaluation.isActive == (lag > 0))
    }

    @Test("activity is strictly above activationLagThreshold, on the uncapped total")
    func activity() throws {
        let threshold = Self.parameters { $0.activationLagThreshold = 5 }
        #expect(try !Self.evaluate(Self.observation([(0, 5)]), threshold).evaluation.isActive)
        #expect(try Self.evaluate(Self.observation([(0, 6)]), threshold).evaluation.isActive)
        let capped = Self.parameters { $0.activationLagThreshold = 100 }
        let (evaluation, _) = try Self.evaluate(Self.observation([(0, 1000)]), capped)
        #expect(evaluation.metricValue == 10)
        #expect(evaluation.isActive)
    }

    @Test("negative partition lag is summed as is; only the metric is clamped at 0")
    func negativeLag() throws {
        let (evaluation, _) = try Self.evaluate(Self.observation([(20, 15), (0, 3)]))
        #expect(evaluation.partitions.map(\.lag) == [-5, 3])
        #expect(evaluation.totalLag == -2)
        #expect(evaluation.totalLagWithPersistent == -2)
        #expect(evaluation.metricValue == 0)
        #expect(evaluation.partitionsWithLag == 1)
        #expect(!evaluation.isActive)
    }

    @Test(
        "no committed offset: latest → 1, earliest → the log end, scaleToZeroOnInvalidOffset → 0",
        arguments: [
            (OffsetResetPolicy.latest, false, Int64(1)),
            (.latest, true, 0),
            (.earliest, false, 40),
            (.earliest, true, 0),
            // The enum quirk: a value matching neither policy falls through to latest − (−1).
            (OffsetResetPolicy(rawValue: "latest,earliest"), false, 41),
        ])
    func invalidOffsets(policy: OffsetResetPolicy, scaleToZero: Bool, lag: Int64) throws {
        let parameters = Self.parameters {
            $0.offsetResetPolicy = policy
            $0.scaleToZeroOnInvalidOffset = scaleToZero
            $0.allowIdleConsumers = true
        }
        let (evaluation, _) = try Self.evaluate(Self.observation([(-1, 40)]), parameters)
        #expect(evaluation.totalLag == lag)
        #expect(evaluation.totalLagWithPersistent == lag)
    }

    @Test("excludePersistentLag: an unmoved committed offset counts 0 for the metric, fully for activity")
    func persistence() throws {
        let parameters = Self.parameters { $0.excludePersistentLag = true }
        let first = try Self.evaluate(Self.observation([(5, 10), (0, 4)]), parameters)
        #expect(first.evaluation.totalLag == 9)
        #expect(
            first.state.previousOffsets == [TopicPartition(topic: Self.topic, partition: 0): 5, TopicPartition(topic: Self.topic, partition: 1): 0])

        let second = try Self.evaluate(Self.observation([(5, 12), (2, 4)]), parameters, state: first.state)
        #expect(second.evaluation.partitions.map(\.lag) == [0, 2])
        #expect(second.evaluation.partitions.map(\.lagWithPersistent) == [7, 2])
        #expect(second.evaluation.totalLag == 2)
        #expect(second.evaluation.totalLagWithPersistent == 9)
        #expect(second.evaluation.isActive)

        let third = try Self.evaluate(Self.observation([(8, 12), (2, 2)]), parameters, state: second.state)
        #expect(third.evaluation.partitions.map(\.lag) == [4, 0])
        #expect(third.state.previousOffsets[TopicPartition(topic: Self.topic, partition: 0)] == 8)
    }

    @Test("invalid offsets are never persistent")
    func invalidOffsetsNeverPersistent() throws {
        let parameters = Self.parameters { $0.excludePersistentLag = true }
        var state = PersistentLagState.empty
        for _ in 0..<3 {
            let result = try Self.evaluate(Self.observation([(-1, 40)]), parameters, state: state)
            #expect(result.evaluation.totalLag == 1)
            state = result.state
        }
        #expect(state == .empty)
    }

    @Test("without excludePersistentLag the state is passed through untouched")
    func stateUntouched() throws {
        let state = PersistentLagState(previousOffsets: [TopicPartition(topic: Self.topic, partition: 0): 5])
        let result = try Self.evaluate(Self.observation([(5, 10)]), state: state)
        #expect(result.evaluation.totalLag == 5)
        #expect(result.state == state)
    }

    @Test("partitionLimitation keeps only the listed partitions")
    func partitionLimitation() throws {
        let parameters = Self.parameters { $0.partitionLimitation = [1, 2, 2, 9] }
        let (evaluation, _) = try Self.evaluate(Self.observation([(0, 100), (0, 1), (0, 2), (0, 100)]), parameters)
        #expect(evaluation.partitions.map(\.topicPartition.partition) == [1, 2])
        #expect(evaluation.totalLag == 3)
        #expect(evaluation.partitionCount == 2)
    }

    @Test("a limitation that leaves no partition fails with KEDA's message, marked as the request's own doing")
    func noActivePartition() {
        let error = #expect(throws: KafkaLagError.self) {
            try Self.evaluate(Self.observation([(0, 1), (0, 1)]), Self.parameters { $0.partitionLimitation = [7] })
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message == "expected at least one active partition within the topic 'orders'")
        #expect(error?.causedByRequest == true)
        let unknownTopic = #expect(throws: KafkaLagError.self) {
            try Self.evaluate(Self.observation([(0, 1)]), topic: "other")
        }
        #expect(unknownTopic?.message == "expected at least one active partition within the topic 'other'")
        #expect(unknownTopic?.causedByRequest == false, "a topic with no partition is the source's failure")
    }

    @Test("without a topic every committed topic is summed and capped together; partitionLimitation is ignored")
    func allTopicsOfTheGroup() throws {
        var observation = Self.observation([(0, 30), (0, 0)], topic: "a")
        let other = Self.observation([(0, 25)], topic: "b")
        observation.committed.merge(other.committed) { $1 }
        observation.latest.merge(other.latest) { $1 }
        let (evaluation, _) = try Self.evaluate(observation, topic: "", Self.parameters { $0.partitionLimitation = [42] })
        #expect(evaluation.partitionCount == 3)
        #expect(evaluation.totalLagWithPersistent == 55)
        // 55 / 10 = 5 > 3 partitions of both topics → capped at 3 × 10.
        #expect(evaluation.totalLag == 30)
        #expect(evaluation.partitions.map(\.topicPartition.topic) == ["a", "a", "b"])

        let (empty, _) = try Self.evaluate(Observation(committed: [:], latest: [:]), topic: "")
        #expect(empty.totalLag == 0 && empty.partitionCount == 0 && !empty.isActive)
    }

    @Test("a latest offset without a committed offset fails the evaluation")
    func missingCommittedOffset() {
        let observation = Observation(
            committed: [TopicPartition(topic: Self.topic, partition: 0): 0],
            latest: [Self.topic: [0: 1, 1: 5]]
        )
        let error = #expect(throws: KafkaLagError.self) { try Self.evaluate(observation) }
        #expect(error?.code == .internalError)
        #expect(error?.message.hasPrefix("error finding offset block for topic orders and partition 1") == true)
    }

    @Test("extreme offsets wrap like Go's int64 instead of trapping")
    func extremeOffsets() throws {
        let (evaluation, _) = try Self.evaluate(Self.observation([(-5, .max), (0, .max)]), Self.parameters { $0.allowIdleConsumers = true })
        #expect(evaluation.totalLag == Int64.max &+ 5 &+ Int64.max)
        #expect(evaluation.metricValue == max(0, evaluation.totalLag))
    }

    @Test("a non-positive lagThreshold is refused instead of dividing by zero")
    func zeroThreshold() {
        let error = #expect(throws: KafkaLagError.self) {
            try Self.evaluate(Self.observation([(0, 1)]), Self.parameters { $0.lagThreshold = 0 })
        }
        #expect(error?.code == .invalidMetadata)
    }

    @Test("findFactors of zero or negative counts is empty, and nextFactor falls back to the count")
    func factorEdges() {
        #expect(LagCalculator.findFactors(0).isEmpty)
        #expect(LagCalculator.findFactors(-4).isEmpty)
        #expect(LagCalculator.findFactors(1) == [1])
        #expect(LagCalculator.findFactors(36) == [1, 2, 3, 4, 6, 9, 12, 18, 36])
        #expect(LagCalculator.nextFactor(totalLag: 5, partitionCount: 0, lagThreshold: 10) == 0)
    }
}
