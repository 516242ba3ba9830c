public import KafkaLag

/// A bumped source on trial (`rollout: shadow`): read beside the pinned source on each
/// new observation, and pinned after enough consecutive successful reads. Until then the
/// pinned source keeps serving.
public struct RolloutCandidate: Sendable, Hashable {
    /// Where the rollout stands (`kafka_scaler_rollout_state`: 1 in progress, 2 held).
    public enum Phase: String, Sendable, Hashable {
        /// Every candidate read so far succeeded (or none was tried yet).
        case inProgress = "in_progress"
        /// The last candidate read failed: the pin keeps serving; a success resumes the rollout.
        case held
    }

    public var version: UInt64
    public var source: Source
    /// Raw trigger metadata that resolved to `source`, to re-resolve it when it is forced
    /// in (reload) or adopted (failure of the pin).
    public var metadata: [String: String]
    /// Consecutive successful reads that pin it (`rolloutObservations`).
    public var required: Int
    /// Unique like a pin's generation (and becomes the pin's): results of reads of a
    /// replaced candidate never count for the next one.
    public var generation: UInt64
    public var since: RegistryInstant
    public internal(set) var phase: Phase = .inProgress
    /// Consecutive successful reads so far.
    public internal(set) var observations = 0
    /// Failed reads over the whole rollout.
    public internal(set) var failedReads = 0
    public internal(set) var lastError: String?
    /// The candidate's last evaluation with the requests' parameters, to compare with the pin's.
    public internal(set) var lastEvaluation: LastEvaluation?
    /// The pin observation the candidate was last read for: one candidate read per new
    /// observation of the pin.
    var readFor: UInt64?
    /// A candidate read is in flight.
    var reading = false

    init(version: UInt64, source: Source, metadata: [String: String], required: Int, generation: UInt64, since: RegistryInstant) {
        self.version = version
        self.source = source
        self.metadata = metadata
        self.required = required
        self.generation = generation
        self.since = since
    }

    /// Whether the pin may hand over to it when the pin fails: it has not failed since its last success.
    var healthy: Bool { phase == .inProgress }
}
