import KafkaLag
import ScalerRegistry

/// One partition's offsets and lag in the observation a trigger's answers use now, as
/// KEDA's rules count it with default parameters: what `demo` draws per partition.
public struct PartitionLag: Sendable, Hashable {
    /// The partition's number.
    public let partition: Int32
    /// The partition's end offset; nil when the observation has none for it.
    public let latest: Int64?
    /// The group's committed offset; -1 when it has none.
    public let committed: Int64
    /// The partition's lag.
    public let lag: Int64
}

extension ScalerAssembly {
    /// The lag of partitions `0..<partitions` of `topic` in the fresh observation of the
    /// source `ref`'s trigger is pinned to; nil before any fresh observation.
    public func partitionLags(of ref: ScaledObjectRef, topic: String, partitions: Int) -> [PartitionLag]? {
        guard let pinned = registry.pinned(RegistryKey(namespace: ref.namespace, name: ref.name)),
            let stored = registry.cachedObservation(for: pinned)
        else { return nil }
        let observation = stored.observation
        return (0..<Int32(partitions)).map { partition in
            let topicPartition = TopicPartition(topic: topic, partition: partition)
            let committed = observation.committed[topicPartition] ?? -1
            var history = PersistentLagState.empty
            let lag = LagCalculator.lagForPartition(
                topicPartition, committed: committed, latest: observation.latest, parameters: .defaults, state: &history
            ).lag
            return PartitionLag(partition: partition, latest: observation.latest[topic]?[partition], committed: committed, lag: lag)
        }
    }
}
