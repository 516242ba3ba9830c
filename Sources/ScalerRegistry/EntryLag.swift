import KafkaLag

/// One entry's lag bookkeeping. `excludePersistentLag` history advances once per
/// new observation the entry consumes, whichever RPC consumed it: a second
/// evaluation of the same observation (KEDA's `IsActive` right after
/// `GetMetrics`) starts again from the history the first one started from.
///
/// Evaluating one observation from one history with the same scaling parameters
/// always gives the same result, so the newest evaluation is kept and reused for
/// the same observation and parameters: the second call of a KEDA round and
/// repeated polls skip the lag math. Other parameters recompute at once.
struct EntryLag: Sendable {
    /// The newest evaluation of the consumed observation, and what produced it.
    private struct Memo: Sendable {
        var sequence: UInt64
        /// The pin generation it was evaluated under.
        var generation: UInt64
        var scaling: ScalingParameters
        var evaluation: Evaluation
        /// When the observation was read, so a reuse can check its age without a cache lookup.
        var observedAt: RegistryInstant
    }

    /// Sequence of the observation that last advanced the history.
    private var consumedSequence: UInt64?
    /// History before that observation was consumed.
    private var before = PersistentLagState.empty
    /// History after it.
    private var after = PersistentLagState.empty
    private var memo: Memo?
    /// The newest evaluation, for `/registry`.
    private(set) var last: LastEvaluation?

    /// The history to evaluate `sequence` with; advances it if `sequence` is new.
    mutating func history(for sequence: UInt64) -> PersistentLagState {
        if let consumedSequence, sequence <= consumedSequence { return before }
        consumedSequence = sequence
        before = after
        memo = nil
        return before
    }

    /// Keeps the result of evaluating `stored`, unless a newer observation was consumed meanwhile.
    mutating func record(
        _ evaluation: Evaluation, scaling: ScalingParameters, history: PersistentLagState, stored: ObservationCache.Stored,
        generation: UInt64, at now: RegistryInstant
    ) {
        guard stored.sequence == consumedSequence else { return }
        after = history
        memo = Memo(sequence: stored.sequence, generation: generation, scaling: scaling, evaluation: evaluation, observedAt: stored.at)
        noteLast(evaluation, at: now)
    }

    /// The kept evaluation of observation `sequence` with `scaling`, if there is one;
    /// reusing it counts as a new evaluation for `/registry`. The history stays as it
    /// is: the kept evaluation is the one that last set it.
    mutating func reuse(sequence: UInt64, scaling: ScalingParameters, at now: RegistryInstant) -> Evaluation? {
        guard let memo, memo.sequence == sequence, memo.sequence == consumedSequence, memo.scaling == scaling else { return nil }
        noteLast(memo.evaluation, at: now)
        return memo.evaluation
    }

    /// The kept evaluation with `scaling`, if its observation is `newest` (the newest
    /// stored for any source, hence still its source's) and younger than `ttl`; reusing
    /// it counts as a new evaluation for `/registry`. Returns the pin generation it belongs to.
    mutating func reuseNewest(
        _ newest: UInt64, scaling: ScalingParameters, ttl: Duration, at now: RegistryInstant
    ) -> (generation: UInt64, evaluation: Evaluation)? {
        guard let memo, memo.sequence == newest, ObservationCache.isFresh(readAt: memo.observedAt, at: now, ttl: ttl) else { return nil }
        return reuse(sequence: newest, scaling: scaling, at: now).map { (memo.generation, $0) }
    }

    private mutating func noteLast(_ evaluation: Evaluation, at now: RegistryInstant) {
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
