import KafkaLag

/// One entry's lag bookkeeping. `excludePersistentLag` history advances once per
/// new observation the entry consumes, whichever RPC consumed it: a second
/// evaluation of the same observation (KEDA's `IsActive` right after
/// `GetMetrics`) starts again from the history the first one started from.
struct EntryLag: Sendable {
    /// Sequence of the observation that last advanced the history.
    private var consumedSequence: UInt64?
    /// History before that observation was consumed.
    private var before = PersistentLagState.empty
    /// History after it.
    private var after = PersistentLagState.empty
    /// The newest evaluation, for `/registry`.
    private(set) var last: LastEvaluation?

    /// The history to evaluate `sequence` with; advances it if `sequence` is new.
    mutating func history(for sequence: UInt64) -> PersistentLagState {
        if let consumedSequence, sequence <= consumedSequence { return before }
        consumedSequence = sequence
        before = after
        return before
    }

    /// Keeps the result of evaluating `sequence`, unless a newer observation was consumed meanwhile.
    mutating func record(_ evaluation: Evaluation, history: PersistentLagState, sequence: UInt64, at now: RegistryInstant) {
        guard sequence == consumedSequence else { return }
        after = history
        last = LastEvaluation(at: now, metric: evaluation.metricValue, active: evaluation.isActive, totalLag: evaluation.totalLagWithPersistent)
    }
}

/// The newest evaluation of an entry, as `/registry` shows it.
public struct LastEvaluation: Sendable, Hashable {
    public var at: RegistryInstant
    public var metric: Int64
    public var active: Bool
    public var totalLag: Int64
}
