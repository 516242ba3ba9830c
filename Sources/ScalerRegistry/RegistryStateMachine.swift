public import KafkaLag

/// The versioned connection registry's rules (DESIGN.md §4) as a pure state machine:
/// driven by requests, read results and a clock, it returns what to serve and
/// what to announce. It knows no sockets, no Kafka and no locks.
public struct RegistryStateMachine: Sendable {
    /// How an entry is doing, as `/registry` shows it.
    public enum EntryState: String, Sendable, Hashable {
        /// The last read through the pinned source succeeded (or none was tried yet).
        case ready
        /// The last read failed.
        case failing
        /// The last read failed and its connection may not be rebuilt yet.
        case backoff
    }

    /// One trigger's entry.
    public struct Entry: Sendable {
        public fileprivate(set) var pinned: PinnedSource
        public fileprivate(set) var pending: PendingSource?
        /// A `rollout: shadow` bump on trial beside the pin. Kept out of line: rollouts are
        /// rare, and an inline candidate would make every entry hundreds of bytes larger.
        public fileprivate(set) var candidate: RolloutCandidate? {
            get { candidateBox?.candidate }
            set { candidateBox = newValue.map(CandidateBox.init) }
        }
        fileprivate var candidateBox: CandidateBox?
        public fileprivate(set) var state: EntryState = .ready
        public fileprivate(set) var lastError: String?
        /// The last request for this trigger: entries KEDA stopped asking about are evicted.
        public fileprivate(set) var lastSeen: RegistryInstant
        /// What happened to the entry, for `GET /registry/history`; survives re-pinning.
        public fileprivate(set) var history = EntryHistory()
        /// Pending sources already announced, so drift is logged once per distinct source
        /// (at most ``announcementLimit``: past it, further distinct sources are not logged).
        fileprivate var announcedPending: Set<Source> = []
        /// Stale (version, source) pairs already announced (at most ``announcementLimit``).
        fileprivate var announcedStale: Set<StaleRequest> = []
        /// ``Admission/identity`` of the last admission that matched the pin exactly:
        /// the same admission again is served without comparing sources.
        fileprivate var matchedIdentity: UInt64?

        /// Whether a pending source exists, read without copying it out.
        var hasPending: Bool {
            if case .some = pending { return true }
            return false
        }

        /// The metadata of the newest source seen at the pinned version.
        var newestMetadata: [String: String] { pending?.metadata ?? pinned.metadata }

        /// Marks the entry failing. The history records the first failure of a run (an
        /// outage fails reads with changing texts; `lastError` keeps the latest) and each
        /// distinct failed re-resolution.
        fileprivate mutating func recordFailure(_ message: String, at now: RegistryInstant, kind: EntryHistory.Event.Kind = .failure) {
            if state == .ready || (kind == .resolutionFailed && lastError != message) {
                history.record(.init(at: now, kind: kind, version: pinned.version, source: pinned.source, message: message))
            }
            state = .failing
            lastError = message
        }

        /// Admits a request to this entry: a higher version swaps to a new pin with
        /// `swapGeneration`; otherwise it is served from the pin, logging a stale
        /// version or a drifted source once.
        fileprivate mutating func admit<Served>(
            _ admission: Admission, at now: RegistryInstant, swapGeneration: UInt64, serve: (Entry) -> Served
        ) -> (Served, Admitted) {
            let hadPending = hasPending
            if !hadPending, let identity = admission.identity, identity == matchedIdentity {
                lastSeen = now
                return (serve(self), Admitted(events: [], hadPending: false, hasPending: false))
            }
            var events: [RegistryEvent] = []
            if admission.version > pinned.version {
                events = bump(admission, at: now, generation: swapGeneration)
            } else if admission.version < pinned.version {
                let stale = StaleRequest(version: admission.version, source: admission.source)
                if announcedStale.count < RegistryStateMachine.announcementLimit, announcedStale.insert(stale).inserted {
                    history.record(.init(at: now, kind: .stale, version: admission.version, source: admission.source))
                    events = [.stale(admission.key, requested: admission.version, pinnedVersion: pinned.version, source: admission.source)]
                }
            } else if admission.source == pinned.source {
                if hadPending { pending = nil }
                pinned.metadata = admission.metadata
                matchedIdentity = admission.identity
            } else {
                if pending?.source != admission.source {
                    pending = PendingSource(source: admission.source, metadata: admission.metadata, since: now)
                } else {
                    pending?.metadata = admission.metadata
                }
                if announcedPending.count < RegistryStateMachine.announcementLimit, announcedPending.insert(admission.source).inserted {
                    history.record(.init(at: now, kind: .drift, version: pinned.version, source: admission.source))
                    events = [.drift(admission.key, version: pinned.version, pinned: pinned.source, pending: admission.source)]
                }
            }
            lastSeen = now
            return (serve(self), Admitted(events: events, hadPending: hadPending, hasPending: hasPending))
        }

        /// A higher version than the pin's. `rollout: shadow` makes its source the
        /// candidate (replacing a candidate of a lower version); otherwise, or when only the
        /// version changed, it is pinned at once. A request of the rollout under way is
        /// served from the pin.
        private mutating func bump(_ admission: Admission, at now: RegistryInstant, generation: UInt64) -> [RegistryEvent] {
            if let candidate, admission.version <= candidate.version {
                if admission.version == candidate.version, admission.source == candidate.source { matchedIdentity = admission.identity }
                return []
            }
            let old = pinned
            let ended = candidate
            if case .shadow(let observations) = admission.rollout, admission.source != old.source {
                let next = RolloutCandidate(
                    version: admission.version, source: admission.source, metadata: admission.metadata, required: observations,
                    generation: generation, since: now)
                candidate = next
                matchedIdentity = admission.identity
                history.record(.init(at: now, kind: .rolloutStarted, version: next.version, source: next.source, from: (old.version, old.source)))
                return [.rolloutStarted(admission.key, pinned: old, candidate: next, replaced: ended)]
            }
            let pin = PinnedSource(
                version: admission.version, source: admission.source, metadata: admission.metadata,
                generation: generation, since: now)
            repin(pin, from: old, reason: .version, at: now, keepingState: false)
            return Self.swapEvents(admission.key, from: old, to: pin, reason: .version, ended: ended)
        }

        /// Replaces the entry with a fresh one pinned at `pin` (no pending source, no
        /// candidate), keeping its history and, for a re-resolution, its state until a read
        /// through the new pin says otherwise.
        fileprivate mutating func repin(
            _ pin: PinnedSource, from old: PinnedSource, reason: SwapReason, at now: RegistryInstant, keepingState: Bool
        ) {
            var fresh = Entry(pinned: pin, lastSeen: lastSeen)
            if keepingState {
                fresh.state = state
                fresh.lastError = lastError
            }
            fresh.history = history
            let kind: EntryHistory.Event.Kind = reason == .rollout ? .rolloutCompleted : .swap
            fresh.history.record(
                .init(at: now, kind: kind, version: pin.version, source: pin.source, from: (old.version, old.source), reason: reason))
            self = fresh
        }

        /// A swap's events: the swap, then the end of the rollout it ended, if any (the
        /// candidate's connection is released after the new pin's is retained).
        fileprivate static func swapEvents(
            _ key: RegistryKey, from old: PinnedSource, to pin: PinnedSource, reason: SwapReason, ended: RolloutCandidate?
        ) -> [RegistryEvent] {
            let swap = RegistryEvent.swapped(key, from: old, to: pin, reason: reason)
            return ended.map { [swap, .rolloutEnded(key, candidate: $0)] } ?? [swap]
        }
    }

    /// Immutable, so entries copied out for `/registry` never share a mutation.
    fileprivate final class CandidateBox: Sendable {
        let candidate: RolloutCandidate
        init(_ candidate: RolloutCandidate) { self.candidate = candidate }
    }

    fileprivate struct StaleRequest: Hashable {
        var version: UInt64
        var source: Source
    }

    /// A valid request's view of its trigger.
    public struct Admission: Sendable {
        public var key: RegistryKey
        public var version: UInt64
        public var source: Source
        public var metadata: [String: String]
        /// Equal non-nil identities promise equal admissions (the request path resolves
        /// a repeated request once and admits the same value), so an entry can tell a
        /// repeat of the admission that matched its pin without comparing sources.
        public var identity: UInt64?
        /// How a bump to this admission's version takes effect.
        public var rollout: RolloutPolicy

        public init(
            key: RegistryKey, version: UInt64, source: Source, metadata: [String: String], identity: UInt64? = nil,
            rollout: RolloutPolicy = .immediate
        ) {
            self.key = key
            self.version = version
            self.source = source
            self.metadata = metadata
            self.identity = identity
            self.rollout = rollout
        }
    }

    /// Re-resolve `metadata` (auth-profile files included), then report back with
    /// ``resolved(_:to:at:)`` or ``resolutionFailed(_:message:)``.
    public struct ReResolution: Sendable, Hashable {
        public var key: RegistryKey
        /// The pin this was planned against; a newer pin makes it moot.
        public var generation: UInt64
        /// The version to pin at: the pin's, or the candidate's when it is forced in or adopted.
        public var version: UInt64
        public var metadata: [String: String]
        public var reason: SwapReason
    }

    /// What a re-resolution did to the entry.
    public enum ResolutionOutcome: Sendable, Hashable {
        /// A new pin: serve from it (its connection comes from the pool). The events are the
        /// swap and, when it ended a rollout, the rollout's end.
        case swapped(PinnedSource, [RegistryEvent])
        /// Same source after a failure: rebuild its connection, if the backoff allows.
        case reconnect(PinnedSource)
        /// The entry was re-pinned meanwhile; nothing to do.
        case superseded
    }

    public private(set) var entries: [RegistryKey: Entry] = [:]

    /// Distinct drifted or stale sources one entry logs: a caller sending endless
    /// variants must not grow an entry (or the log) without bound.
    public static let announcementLimit = 64
    private var lastGeneration: UInt64 = 0

    public init() {}

    /// Admits a valid request: creates the entry on first sight, swaps on a higher
    /// version, records drift at the same version, and returns the pin to serve from.
    public mutating func admit(_ admission: Admission, at now: RegistryInstant) -> (pinned: PinnedSource, events: [RegistryEvent]) {
        let (pinned, admitted) = admitInPlace(admission, at: now) { $0.pinned }
        return (pinned, admitted.events)
    }

    /// What ``admitInPlace(_:at:serve:)`` did.
    struct Admitted {
        var events: [RegistryEvent]
        /// Whether the entry had, and has, a pending source (for the pending gauge).
        var hadPending: Bool
        var hasPending: Bool
    }

    /// ``admit(_:at:)`` for the request path: the entry is found once and changed in
    /// place, and `serve` reads what the caller needs from it without copying it out.
    mutating func admitInPlace<Served>(_ admission: Admission, at now: RegistryInstant, serve: (Entry) -> Served) -> (Served, Admitted) {
        let key = admission.key
        guard let index = entries.index(forKey: key) else {
            let pin = makePin(version: admission.version, source: admission.source, metadata: admission.metadata, at: now)
            var entry = Entry(pinned: pin, lastSeen: now)
            entry.history.record(.init(at: now, kind: .pinned, version: pin.version, source: pin.source))
            entries[key] = entry
            let events: [RegistryEvent] = [.created(key, version: admission.version, source: admission.source)]
            return (serve(entry), Admitted(events: events, hadPending: false, hasPending: false))
        }
        let swapGeneration = lastGeneration + 1
        let (served, admitted) = entries.values[index].admit(admission, at: now, swapGeneration: swapGeneration, serve: serve)
        if admitted.events.contains(where: \.takesGeneration) { lastGeneration = swapGeneration }
        return (served, admitted)
    }

    /// A read through `generation`'s pin failed: the entry is failing and must
    /// re-resolve its newest source: a healthy rollout candidate (adopted at once, DESIGN.md §4's
    /// failure rule), else the pending source if any. `nil` when the entry was re-pinned meanwhile.
    public mutating func failed(_ key: RegistryKey, generation: UInt64, message: String, at now: RegistryInstant) -> ReResolution? {
        guard var entry = entries[key], entry.pinned.generation == generation else { return nil }
        entry.recordFailure(message, at: now)
        entries[key] = entry
        if let candidate = entry.candidate, candidate.healthy {
            return ReResolution(key: key, generation: generation, version: candidate.version, metadata: candidate.metadata, reason: .failure)
        }
        return ReResolution(key: key, generation: generation, version: entry.pinned.version, metadata: entry.newestMetadata, reason: .failure)
    }

    /// Plans an operator reload of one entry, or of all when `key` is nil. A rollout
    /// candidate, held or not, is forced in: the operator's explicit choice.
    public func reload(_ key: RegistryKey?) -> [ReResolution] {
        let keys = key.map { [$0] } ?? entries.keys.sorted()
        return keys.compactMap { key in
            entries[key].map { entry in
                let (version, metadata) = entry.candidate.map { ($0.version, $0.metadata) } ?? (entry.pinned.version, entry.newestMetadata)
                return ReResolution(key: key, generation: entry.pinned.generation, version: version, metadata: metadata, reason: .reload)
            }
        }
    }

    /// The re-resolution of `plan` produced `source`. A reload always re-pins (a new
    /// pin with fresh persistent-lag state); a failure re-pins when the source
    /// changed (pending or candidate adopted, or auth-profile files changed), else reconnects.
    public mutating func resolved(_ plan: ReResolution, to source: Source, at now: RegistryInstant) -> ResolutionOutcome {
        guard var entry = entries[plan.key], entry.pinned.generation == plan.generation else { return .superseded }
        let old = entry.pinned
        if plan.reason == .failure, source == old.source, plan.version == old.version {
            entry.pending = nil
            entries[plan.key] = entry
            return .reconnect(old)
        }
        let pin = makePin(version: plan.version, source: source, metadata: plan.metadata, at: now)
        let ended = entry.candidate
        entry.repin(pin, from: old, reason: plan.reason, at: now, keepingState: true)
        entries[plan.key] = entry
        return .swapped(pin, Entry.swapEvents(plan.key, from: old, to: pin, reason: plan.reason, ended: ended))
    }

    /// A candidate read to run: `source` read like a pin's, its result reported with
    /// ``candidateSucceeded(_:evaluation:at:)`` or ``candidateFailed(_:message:at:)``.
    public struct CandidateRead: Sendable, Hashable {
        public var key: RegistryKey
        /// The candidate's generation: a newer candidate makes the result moot.
        public var generation: UInt64
        public var source: Source
    }

    /// An observation (`sequence`) read through `generation`'s pin was evaluated: the
    /// candidate read due, if the entry has a candidate not yet read for that observation
    /// and no candidate read is in flight (one per new observation of the pin, at most).
    public mutating func candidateReadDue(_ key: RegistryKey, pinGeneration: UInt64, observation sequence: UInt64) -> CandidateRead? {
        guard let index = entries.index(forKey: key), entries.values[index].pinned.generation == pinGeneration,
            let candidate = entries.values[index].candidate, !candidate.reading, candidate.readFor.map({ $0 < sequence }) ?? true
        else { return nil }
        entries.values[index].candidate?.reading = true
        entries.values[index].candidate?.readFor = sequence
        return CandidateRead(key: key, generation: candidate.generation, source: candidate.source)
    }

    /// A candidate read succeeded (`evaluation`: with the requests' parameters, nil when
    /// they could not be applied). After ``RolloutCandidate/required`` consecutive
    /// successes the candidate is pinned (swap reason `rollout`).
    public mutating func candidateSucceeded(_ read: CandidateRead, evaluation: LastEvaluation?, at now: RegistryInstant) -> [RegistryEvent] {
        guard var entry = entries[read.key], var candidate = entry.candidate, candidate.generation == read.generation else { return [] }
        candidate.reading = false
        candidate.observations += 1
        candidate.phase = .inProgress
        candidate.lastError = nil
        if let evaluation { candidate.lastEvaluation = evaluation }
        guard candidate.observations >= candidate.required else {
            entry.candidate = candidate
            entry.history.record(
                .init(
                    at: now, kind: .rolloutProgressed, version: candidate.version, source: candidate.source,
                    message: "observation \(candidate.observations) of \(candidate.required)"))
            entries[read.key] = entry
            return [.rolloutProgressed(read.key, candidate: candidate)]
        }
        let old = entry.pinned
        let pin = PinnedSource(
            version: candidate.version, source: candidate.source, metadata: candidate.metadata,
            generation: candidate.generation, since: now)
        entry.repin(pin, from: old, reason: .rollout, at: now, keepingState: false)
        entries[read.key] = entry
        return Entry.swapEvents(read.key, from: old, to: pin, reason: .rollout, ended: candidate)
    }

    /// A candidate read failed: the rollout is held (the pin keeps serving) until a read
    /// succeeds again; the count of consecutive successes starts over.
    public mutating func candidateFailed(_ read: CandidateRead, message: String, at now: RegistryInstant) -> [RegistryEvent] {
        guard var entry = entries[read.key], var candidate = entry.candidate, candidate.generation == read.generation else { return [] }
        let wasHeld = candidate.phase == .held
        candidate.reading = false
        candidate.observations = 0
        candidate.failedReads += 1
        candidate.lastError = message
        candidate.phase = .held
        entry.candidate = candidate
        if !wasHeld {
            entry.history.record(.init(at: now, kind: .rolloutHeld, version: candidate.version, source: candidate.source, message: message))
        }
        entries[read.key] = entry
        return wasHeld ? [] : [.rolloutHeld(read.key, candidate: candidate)]
    }

    /// The entry's auth profile changed on disk and `source` is what its newest metadata
    /// resolves to now: recorded as pending (like drift, never swapped), to be adopted at
    /// the next version bump, failure or reload. nil when nothing new is pending.
    public mutating func profileChanged(
        _ key: RegistryKey, generation: UInt64, to source: Source, metadata: [String: String], at now: RegistryInstant
    ) -> RegistryEvent? {
        guard var entry = entries[key], entry.pinned.generation == generation,
            source != entry.pinned.source, entry.pending?.source != source
        else { return nil }
        entry.pending = PendingSource(source: source, metadata: metadata, since: now)
        // Announced here: the requests that now resolve to it must not announce it again.
        if entry.announcedPending.count < Self.announcementLimit { entry.announcedPending.insert(source) }
        entry.history.record(.init(at: now, kind: .profileChange, version: entry.pinned.version, source: source))
        entries[key] = entry
        return .drift(key, version: entry.pinned.version, pinned: entry.pinned.source, pending: source)
    }

    /// Re-resolving failed (e.g. the auth profile vanished): the entry keeps its pin.
    public mutating func resolutionFailed(_ plan: ReResolution, message: String, at now: RegistryInstant) {
        guard var entry = entries[plan.key], entry.pinned.generation == plan.generation else { return }
        entry.recordFailure(message, at: now, kind: .resolutionFailed)
        entries[plan.key] = entry
    }

    /// The connection of `generation`'s pin may not be rebuilt yet.
    public mutating func backingOff(_ key: RegistryKey, generation: UInt64) {
        guard entries[key]?.pinned.generation == generation else { return }
        entries[key]?.state = .backoff
    }

    /// A read through `generation`'s pin succeeded.
    public mutating func succeeded(_ key: RegistryKey, generation: UInt64, at now: RegistryInstant) {
        guard let index = entries.index(forKey: key), entries.values[index].pinned.generation == generation else { return }
        if entries.values[index].state != .ready {
            let pin = entries.values[index].pinned
            entries.values[index].history.record(.init(at: now, kind: .recovered, version: pin.version, source: pin.source))
        }
        entries.values[index].state = .ready
        entries.values[index].lastError = nil
    }

    /// Removes entries no request touched for `idleTimeout` (their ScaledObject was
    /// deleted or moved to another trigger type) and returns them, so their
    /// connections (the pin's, and a rollout candidate's) can be released.
    public mutating func evict(idleFor idleTimeout: Duration, at now: RegistryInstant) -> [(key: RegistryKey, entry: Entry)] {
        let idle = entries.filter { now.monotonic - $0.value.lastSeen.monotonic >= idleTimeout }
        for key in idle.keys { entries[key] = nil }
        return idle.map { (key: $0.key, entry: $0.value) }.sorted { $0.key < $1.key }
    }

    private mutating func makePin(version: UInt64, source: Source, metadata: [String: String], at now: RegistryInstant) -> PinnedSource {
        lastGeneration += 1
        return PinnedSource(version: version, source: source, metadata: metadata, generation: lastGeneration, since: now)
    }
}

private extension RegistryEvent {
    /// Whether the event used the generation the admission offered (a new pin or candidate).
    var takesGeneration: Bool {
        switch self {
        case .swapped, .rolloutStarted: true
        case .created, .drift, .stale, .rolloutProgressed, .rolloutHeld, .rolloutEnded: false
        }
    }
}
