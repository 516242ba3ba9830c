/// One partition's contribution to an evaluation.
public struct PartitionLag: Hashable, Sendable {
    /// The partition this lag was computed for.
    public var topicPartition: TopicPartition
    /// Lag counted towards the metric (0 when excluded as persistent).
    public var lag: Int64
    /// Lag counted towards activity (persistent lag included).
    public var lagWithPersistent: Int64

    public init(topicPartition: TopicPartition, lag: Int64, lagWithPersistent: Int64) {
        self.topicPartition = topicPartition
        self.lag = lag
        self.lagWithPersistent = lagWithPersistent
    }
}

/// What KEDA's `GetMetricsAndActivity` computes from one observation: the
/// metric `GetMetrics` reports and the activity `IsActive` reports, from the
/// same evaluation.
public struct Evaluation: Hashable, Sendable {
    /// The metric value: `totalLag` clamped at 0 (KEDA ≥ 2.20 turns negatives into 0).
    public var metricValue: Int64
    /// Summed partition lag after the partition-count cap and even distribution.
    public var totalLag: Int64
    /// Summed lag including persistent lag; never capped. Drives activity.
    public var totalLagWithPersistent: Int64
    /// `totalLagWithPersistent > activationLagThreshold`.
    public var isActive: Bool
    /// Every partition that was counted, in topic/partition order.
    public var partitions: [PartitionLag]
    /// Partitions counted (those in the latest-offset map after limitation): the cap's bound.
    public var partitionCount: Int64
    /// Partitions whose metric lag is > 0: the bound with `limitToPartitionsWithLag`.
    public var partitionsWithLag: Int64

    public init(
        metricValue: Int64, totalLag: Int64, totalLagWithPersistent: Int64, isActive: Bool,
        partitions: [PartitionLag], partitionCount: Int64, partitionsWithLag: Int64
    ) {
        self.metricValue = metricValue
        self.totalLag = totalLag
        self.totalLagWithPersistent = totalLagWithPersistent
        self.isActive = isActive
        self.partitions = partitions
        self.partitionCount = partitionCount
        self.partitionsWithLag = partitionsWithLag
    }
}
