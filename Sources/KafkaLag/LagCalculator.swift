/// KEDA ≥ 2.20's lag rules as pure functions (`reference/keda-kafka.md` §4):
/// no I/O, no clock, no hidden state. Arithmetic wraps like Go's int64 instead
/// of trapping, so hostile offsets can never crash the process.
public enum LagCalculator {
    /// Evaluates one observation with the request's scaling parameters.
    ///
    /// - Parameters:
    ///   - observation: committed and latest offsets read for the source.
    ///   - topic: the source's topic; empty means every topic the group committed to.
    ///   - consumerGroup: the source's group (named in error messages).
    ///   - parameters: thresholds and flags of the request.
    ///   - state: persistent-lag history from the previous evaluation.
    /// - Returns: the evaluation and the history to pass next time.
    /// - Throws: ``KafkaLagError/Code/failedPrecondition`` when `partitionLimitation`
    ///   leaves no partition of the topic, or the observation holds no partition of it;
    ///   ``KafkaLagError/Code/internalError`` when a latest offset has no committed offset.
    public static func evaluate(
        _ observation: Observation, topic: String, consumerGroup: String,
        parameters: ScalingParameters, state: PersistentLagState
    ) throws(KafkaLagError) -> (evaluation: Evaluation, state: PersistentLagState) {
        guard parameters.lagThreshold > 0 else {
            throw KafkaLagError(.invalidMetadata, "\"lagThreshold\" must be positive number", causedByRequest: true)
        }
        var state = state
        var partitions: [PartitionLag] = []
        var totalLag: Int64 = 0
        var totalLagWithPersistent: Int64 = 0
        var partitionCount: Int64 = 0
        var partitionsWithLag: Int64 = 0

        for (name, active) in try activePartitions(observation, topic: topic, limitation: parameters.partitionLimitation) {
            let latestOfTopic = observation.latest[name] ?? [:]
            let counted = latestOfTopic.keys.filter(active.contains).sorted()
            for partition in counted {
                let topicPartition = TopicPartition(topic: name, partition: partition)
                guard let committed = observation.committed[topicPartition] else {
                    throw KafkaLagError(
                        .internalError,
                        "error finding offset block for topic \(name) and partition \(partition) from offset block of group \(consumerGroup)"
                    )
                }
                let (lag, lagWithPersistent) = lagForPartition(
                    topicPartition, committed: committed, latest: observation.latest,
                    parameters: parameters, state: &state
                )
                totalLag &+= lag
                totalLagWithPersistent &+= lagWithPersistent
                if lag > 0 { partitionsWithLag &+= 1 }
                partitions.append(PartitionLag(topicPartition: topicPartition, lag: lag, lagWithPersistent: lagWithPersistent))
            }
            partitionCount &+= Int64(counted.count)
        }

        if !parameters.allowIdleConsumers || parameters.limitToPartitionsWithLag || parameters.ensureEvenDistributionOfPartitions {
            var upperBound = partitionCount
            if parameters.ensureEvenDistributionOfPartitions {
                let factor = nextFactor(totalLag: totalLag, partitionCount: partitionCount, lagThreshold: parameters.lagThreshold)
                totalLag = factor &* parameters.lagThreshold
            }
            if parameters.limitToPartitionsWithLag {
                upperBound = partitionsWithLag
            }
            // Go's truncating division: the cap starts at (upperBound + 1) × threshold.
            if totalLag / parameters.lagThreshold > upperBound {
                totalLag = upperBound &* parameters.lagThreshold
            }
        }

        let evaluation = Evaluation(
            metricValue: max(0, totalLag), totalLag: totalLag, totalLagWithPersistent: totalLagWithPersistent,
            isActive: totalLagWithPersistent > parameters.activationLagThreshold,
            partitions: partitions, partitionCount: partitionCount, partitionsWithLag: partitionsWithLag
        )
        return (evaluation, state)
    }

    /// The topics in scope and their active partitions: the source's topic with
    /// `partitionLimitation` applied, or every topic of the observation (the
    /// group's committed topics) without a limitation. A topic's partitions are
    /// those the observation read offsets for.
    private static func activePartitions(
        _ observation: Observation, topic: String, limitation: [Int32]?
    ) throws(KafkaLagError) -> [(topic: String, partitions: Set<Int32>)] {
        var byTopic: [String: Set<Int32>] = [:]
        for topicPartition in observation.committed.keys {
            byTopic[topicPartition.topic, default: []].insert(topicPartition.partition)
        }
        for (name, partitions) in observation.latest {
            byTopic[name, default: []].formUnion(partitions.keys)
        }
        let topics = topic.isEmpty ? byTopic.keys.sorted() : [topic]
        var result: [(topic: String, partitions: Set<Int32>)] = []
        for name in topics {
            let active = try PartitionLimitation.activePartitions(
                of: (byTopic[name] ?? []).sorted(), topic: name, limitation: topic.isEmpty ? nil : limitation
            )
            result.append((name, Set(active)))
        }
        return result
    }

    /// KEDA's `getLagForPartition`: `(lag, lagWithPersistent)` for one partition.
    ///
    /// A committed offset of `-1` means none: under `latest` it counts 1 (0 with
    /// `scaleToZeroOnInvalidOffset`) without looking at the log; under `earliest`
    /// it counts 0 with `scaleToZeroOnInvalidOffset`, else the whole log end. A
    /// partition (or topic) missing from `latest` counts 0. With
    /// `excludePersistentLag`, an offset equal to the one stored in `state`
    /// counts 0 for the metric but fully for activity; the state is updated here.
    public static func lagForPartition(
        _ topicPartition: TopicPartition, committed: Int64, latest: [String: [Int32: Int64]],
        parameters: ScalingParameters, state: inout PersistentLagState
    ) -> (lag: Int64, lagWithPersistent: Int64) {
        let invalidOffset: Int64 = -1
        if committed == invalidOffset {
            if parameters.offsetResetPolicy == .latest {
                let lag: Int64 = parameters.scaleToZeroOnInvalidOffset ? 0 : 1
                return (lag, lag)
            }
            if parameters.scaleToZeroOnInvalidOffset { return (0, 0) }
        }
        guard let latestOffset = latest[topicPartition.topic]?[topicPartition.partition] else {
            return (0, 0)
        }
        if committed == invalidOffset && parameters.offsetResetPolicy == .earliest {
            return (latestOffset, latestOffset)
        }
        let lag = latestOffset &- committed
        if parameters.excludePersistentLag {
            if state.previousOffsets[topicPartition] == committed {
                return (0, lag)
            }
            state.previousOffsets[topicPartition] = committed
        }
        return (lag, lag)
    }

    /// KEDA's `FindFactors`: the divisors of `n` in ascending order; none for `n < 1`.
    public static func findFactors(_ n: Int64) -> [Int64] {
        guard n >= 1 else { return [] }
        var small: [Int64] = []
        var large: [Int64] = []
        var candidate: Int64 = 1
        while candidate <= n / candidate {
            if n % candidate == 0 {
                small.append(candidate)
                if candidate != n / candidate { large.append(n / candidate) }
            }
            candidate += 1
        }
        return small + large.reversed()
    }

    /// The smallest divisor `f` of `partitionCount` with `f × lagThreshold ≥ totalLag`,
    /// or `partitionCount` when none is: the replica count that splits the
    /// partitions evenly (`ensureEvenDistributionOfPartitions`).
    public static func nextFactor(totalLag: Int64, partitionCount: Int64, lagThreshold: Int64) -> Int64 {
        findFactors(partitionCount).first { $0 &* lagThreshold >= totalLag } ?? partitionCount
    }
}
