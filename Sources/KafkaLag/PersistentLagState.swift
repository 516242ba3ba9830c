/// `excludePersistentLag`'s memory: the committed offset last seen per
/// partition. KEDA keeps it inside the scaler; here the caller owns it, passes
/// it into each evaluation and keeps the state that comes back, so it advances
/// exactly once per consumed observation and is dropped on a source swap.
public struct PersistentLagState: Hashable, Sendable {
    /// Committed offset at the previous evaluation, by partition.
    public var previousOffsets: [TopicPartition: Int64]

    public init(previousOffsets: [TopicPartition: Int64] = [:]) {
        self.previousOffsets = previousOffsets
    }

    /// No history: every partition's lag counts on its first observation.
    public static let empty = Self()
}
