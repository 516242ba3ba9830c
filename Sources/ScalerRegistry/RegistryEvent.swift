public import KafkaLag

/// Something operators must hear about: each becomes one structured log line
/// and, where it counts, a metric.
public enum RegistryEvent: Sendable, Hashable {
    /// The first valid request for a trigger pinned its source.
    case created(RegistryKey, version: UInt64, source: Source)
    /// A request carried a different source at the pinned version; it is pending.
    /// Raised once per distinct pending source.
    case drift(RegistryKey, version: UInt64, pinned: Source, pending: Source)
    /// A request carried a lower version than the pinned one; served from the pin.
    /// Raised once per distinct stale (version, source).
    case stale(RegistryKey, requested: UInt64, pinnedVersion: UInt64, source: Source)
    /// The pin moved to another source or version.
    case swapped(RegistryKey, from: PinnedSource, to: PinnedSource, reason: SwapReason)
    /// A `rollout: shadow` bump made its source the candidate (`replaced`: a candidate of
    /// an earlier bump it replaces).
    case rolloutStarted(RegistryKey, pinned: PinnedSource, candidate: RolloutCandidate, replaced: RolloutCandidate?)
    /// A candidate read succeeded and the candidate is not pinned yet.
    case rolloutProgressed(RegistryKey, candidate: RolloutCandidate)
    /// A candidate read failed: the rollout is held. Raised when the rollout stops progressing.
    case rolloutHeld(RegistryKey, candidate: RolloutCandidate)
    /// The entry has no candidate any more: it was pinned (with a `swapped` event), or a
    /// later bump, a reload or a failure of the pin moved the pin elsewhere.
    case rolloutEnded(RegistryKey, candidate: RolloutCandidate)
}

/// Why a pin moved (the `reason` label of `registry_swaps_total`).
public enum SwapReason: String, Sendable, Hashable, CaseIterable {
    /// A request carried a higher `configVersion`.
    case version
    /// Reading through the pinned source failed and re-resolving gave another source.
    case failure
    /// An operator asked for a reload.
    case reload
    /// A shadow rollout's candidate passed its observations.
    case rollout
}
