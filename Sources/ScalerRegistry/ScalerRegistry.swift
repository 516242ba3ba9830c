import CoreMetrics
public import KafkaLag
public import Logging
import Metrics
import Synchronization

/// The versioned connection registry at run time: the state machine, the
/// observation cache and the connection pool behind one lock, plus the Kafka
/// reads they call for. Every ExternalScaler RPC goes through here.
public final class ScalerRegistry: Sendable {
    /// Registry behaviour.
    public struct Configuration: Sendable {
        /// How long an observation is reused (`--lag-cache-ttl`). Default 2 s; zero disables reuse.
        public var lagCacheTTL: Duration
        /// Bound of one Kafka read when the caller has no earlier deadline (`--kafka-timeout`). Default 5 s.
        public var kafkaTimeout: Duration
        /// Connection sharing, idle close and rebuild backoff.
        public var pool: ConnectionPoolConfiguration
        /// An entry no request touched for this long is removed (its ScaledObject is gone;
        /// KEDA polls every 30 s by default). Default 15 minutes.
        public var entryIdleTimeout: Duration
        /// Entries at most (`--max-registry-entries`); past it a new trigger is refused while
        /// existing ones keep being served. Default 50,000.
        public var maxEntries: Int
        /// Distinct Kafka connections (sources' connection settings) at most
        /// (`--max-kafka-connections`); a trigger that would add one is refused. Default 256.
        public var maxConnections: Int

        public init(
            lagCacheTTL: Duration, kafkaTimeout: Duration, pool: ConnectionPoolConfiguration, entryIdleTimeout: Duration,
            maxEntries: Int, maxConnections: Int
        ) {
            self.lagCacheTTL = lagCacheTTL
            self.kafkaTimeout = kafkaTimeout
            self.pool = pool
            self.entryIdleTimeout = entryIdleTimeout
            self.maxEntries = maxEntries
            self.maxConnections = maxConnections
        }

        public static var defaults: Self {
            Self(
                lagCacheTTL: .seconds(2), kafkaTimeout: .seconds(5), pool: .defaults, entryIdleTimeout: .seconds(900),
                maxEntries: 50_000, maxConnections: 256
            )
        }
    }

    private struct State: ~Copyable {
        var machine = RegistryStateMachine()
        var cache: ObservationCache
        var pool: ConnectionPool<PooledReader>
        var reads: [UInt64: Task<Result<ObservationCache.Stored, KafkaLagError>, Never>] = [:]
        var lag: [RegistryKey: EntryLag] = [:]
        /// Connections being opened outside the lock; reads that need one wait for it.
        var openings: [ConnectionSettings: Task<KafkaLagError?, Never>] = [:]
        /// Shutdown drained the pool: no connection opens any more.
        var draining = false
    }

    /// What a read should do, decided under the lock.
    private enum ReadPlan {
        case fresh(ObservationCache.Stored)
        /// Wait for a read; `joined` when another caller started it.
        case wait(Task<Result<ObservationCache.Stored, KafkaLagError>, Never>, joined: Bool)
    }

    public let configuration: Configuration
    private let state: Mutex<State>
    private let readers: any KafkaReaderFactory
    private let resolver: any SourceResolver
    /// What ``checkProfiles()`` remembers between passes.
    private let profileWatch = Mutex(ProfileWatch())
    private let clock: any RegistryClock
    private let logger: Logger
    private let metrics = RegistryMetrics()

    /// A registry that reads through `readers` and re-resolves its entries' sources with
    /// `resolver`, the one that resolves the requests.
    public convenience init(
        configuration: Configuration, readers: any KafkaReaderFactory, resolver: TriggerResolver,
        clock: any RegistryClock, logger: Logger
    ) {
        self.init(configuration: configuration, readers: readers, resolver: resolver as any SourceResolver, clock: clock, logger: logger)
    }

    /// Tests substitute a resolver that needs no profile files.
    init(
        configuration: Configuration, readers: any KafkaReaderFactory, resolver: any SourceResolver,
        clock: any RegistryClock, logger: Logger
    ) {
        self.configuration = configuration
        self.readers = readers
        self.resolver = resolver
        self.clock = clock
        self.logger = logger
        self.state = Mutex(State(cache: ObservationCache(ttl: configuration.lagCacheTTL), pool: ConnectionPool(configuration: configuration.pool)))
    }

    // MARK: Admission

    /// How the synchronous fast path served an admitted request.
    public enum CachedAnswer: Sendable {
        /// Evaluated from a fresh observation (or the entry's kept evaluation of it), with
        /// the request's parameters.
        case evaluated(Evaluation)
        /// Nothing fresh: read through ``evaluate(_:admitted:scaling:deadline:maxAge:)``.
        case uncached(PinnedSource)
    }

    /// Admits a valid request and returns the pin to serve it from. Opens no
    /// connection: `GetMetricSpec` stays free of Kafka I/O.
    public func admit(_ admission: RegistryStateMachine.Admission) throws(KafkaLagError) -> PinnedSource {
        let now = clock.now()
        let outcome = state.withLock { state -> Result<(PinnedSource, Published), CapRefusal> in
            if let refusal = refusal(admission, in: state) { return .failure(refusal) }
            let (pinned, admitted) = state.machine.admitInPlace(admission, at: now) { $0.pinned }
            return .success((pinned, Self.applied(admitted, to: &state, at: now)))
        }
        let (pinned, admitted) = try passedCaps(outcome)
        publish(admitted, for: admission.key)
        return pinned
    }

    /// A cap an admission would take the registry past.
    private struct CapRefusal: Error {
        /// `entries` or `connections`, the metric's label.
        var reason: String
        var error: KafkaLagError
    }

    /// Why `admission` would take the registry past a cap, if it would: only a new entry,
    /// or a version bump to a connection not yet held, can. Existing entries always pass,
    /// reading only the pinned version.
    private func refusal(_ admission: RegistryStateMachine.Admission, in state: borrowing State) -> CapRefusal? {
        let entries = state.machine.entries
        let index = entries.index(forKey: admission.key)
        if let index, admission.version <= entries.values[index].pinned.version { return nil }
        if index == nil, entries.count >= configuration.maxEntries {
            return CapRefusal(
                reason: "entries",
                error: KafkaLagError(
                    .resourceExhausted,
                    "the registry holds \(entries.count) entries, the most --max-registry-entries allows; existing triggers keep being served"))
        }
        if state.pool.connectionCount >= configuration.maxConnections, !state.pool.holds(admission.source.connection) {
            return CapRefusal(
                reason: "connections",
                error: KafkaLagError(
                    .resourceExhausted,
                    "the scaler holds \(state.pool.connectionCount) Kafka connections, the most --max-kafka-connections allows; existing triggers keep being served"
                ))
        }
        return nil
    }

    /// The admission's outcome; a refusal is counted (outside the lock) and thrown.
    private func passedCaps<T>(_ outcome: Result<T, CapRefusal>) throws(KafkaLagError) -> T {
        switch outcome {
        case .success(let value):
            return value
        case .failure(let refusal):
            metrics.rejected(refusal.reason)
            throw refusal.error
        }
    }

    /// Admits a valid request and, under the same lock, answers it from the entry's
    /// kept evaluation or finds a fresh observation of its pin: the synchronous fast
    /// path of a KEDA round's second call and of repeated polls. The kept evaluation
    /// is checked first, so a hit costs one lookup of the entry's lag and one of the
    /// entry, and no copy of the pin. A fresh observation is evaluated outside the lock.
    public func admit(_ admission: RegistryStateMachine.Admission, cachedFor scaling: ScalingParameters) throws(KafkaLagError) -> CachedAnswer {
        let now = clock.now()
        let outcome = state.withLock { state -> Result<(Cached, Published), CapRefusal> in
            if let refusal = refusal(admission, in: state) { return .failure(refusal) }
            return .success(Self.admitCached(admission, scaling: scaling, in: &state, at: now))
        }
        let (cached, admitted) = try passedCaps(outcome)
        publish(admitted, for: admission.key)
        switch cached {
        case .uncached(let pinned):
            return .uncached(pinned)
        case .evaluated(let evaluation):
            metrics.cacheHits.increment()
            return .evaluated(evaluation)
        case .observed(let pinned, let stored):
            metrics.cacheHits.increment()
            return .evaluated(try evaluate(admission.key, pinned: pinned, stored: stored, scaling: scaling))
        }
    }

    /// What the fast path found under the lock.
    private enum Cached {
        case evaluated(Evaluation)
        /// A fresh observation of the pin, to evaluate outside the lock.
        case observed(PinnedSource, ObservationCache.Stored)
        case uncached(PinnedSource)
    }

    /// The fast path's work under the lock: the kept evaluation, else a fresh observation, else nothing.
    private static func admitCached(
        _ admission: RegistryStateMachine.Admission, scaling: ScalingParameters, in state: inout State, at now: RegistryInstant
    ) -> (Cached, Published) {
        let (newest, ttl) = (state.cache.latestSequence, state.cache.ttl)
        let kept = state.lag.index(forKey: admission.key).flatMap {
            state.lag.values[$0].reuseNewest(newest, scaling: scaling, ttl: ttl, at: now)
        }
        let (served, admitted) = state.machine.admitInPlace(admission, at: now) { entry -> Served in
            if let kept, kept.generation == entry.pinned.generation { return .kept(kept.evaluation, ready: entry.state == .ready) }
            return .pin(entry.pinned)
        }
        let applied = Self.applied(admitted, to: &state, at: now)
        switch served {
        case .kept(let evaluation, let ready):
            if !ready, let kept { state.machine.succeeded(admission.key, generation: kept.generation, at: now) }
            return (Cached.evaluated(evaluation), applied)
        case .pin(let pinned):
            return (Self.cached(admission.key, pinned: pinned, scaling: scaling, in: &state, at: now), applied)
        }
    }

    /// What the fast path read from the admitted entry.
    private enum Served {
        case kept(Evaluation, ready: Bool)
        case pin(PinnedSource)
    }

    private typealias Published = (events: [RegistryEvent], pendingChange: Bool?, entryCount: Int)

    /// Applies an admission's events to the pool and lag state, under the lock.
    private static func applied(_ admitted: RegistryStateMachine.Admitted, to state: inout State, at now: RegistryInstant) -> Published {
        for event in admitted.events { apply(event, to: &state, at: now) }
        let pendingChange = admitted.hadPending == admitted.hasPending ? nil : admitted.hasPending
        return (admitted.events, pendingChange, admitted.events.isEmpty ? 0 : state.machine.entries.count)
    }

    /// Announces what an admission changed, outside the lock.
    private func publish(_ admitted: Published, for key: RegistryKey) {
        if !admitted.events.isEmpty {
            metrics.entries.record(admitted.entryCount)
            admitted.events.forEach(announce)
        }
        if let pendingChange = admitted.pendingChange { metrics.pending(key, pendingChange) }
    }

    /// The fresh observation of `pinned`, answered from the entry's kept evaluation
    /// of it when that used the same parameters.
    private static func cached(
        _ key: RegistryKey, pinned: PinnedSource, scaling: ScalingParameters, in state: inout State, at now: RegistryInstant
    ) -> Cached {
        guard let stored = state.cache.fresh(pinned.source, at: now) else { return .uncached(pinned) }
        guard let index = state.lag.index(forKey: key),
            let evaluation = state.lag.values[index].reuse(sequence: stored.sequence, scaling: scaling, at: now)
        else {
            return .observed(pinned, stored)
        }
        state.machine.succeeded(key, generation: pinned.generation, at: now)
        return .evaluated(evaluation)
    }

    /// Keeps the pool's reference counts and the per-entry lag state in step with pins.
    private static func apply(_ event: RegistryEvent, to state: inout State, at now: RegistryInstant) {
        switch event {
        case .created(let key, _, let source):
            state.pool.retain(source.connection)
            state.lag[key] = EntryLag()
        case .swapped(let key, let from, let to, _):
            state.pool.retain(to.source.connection)
            state.pool.release(from.source.connection, at: now)
            state.lag[key] = EntryLag()
        case .rolloutStarted(_, _, let candidate, let replaced):
            state.pool.retain(candidate.source.connection)
            if let replaced { state.pool.release(replaced.source.connection, at: now) }
        case .rolloutEnded(_, let candidate):
            state.pool.release(candidate.source.connection, at: now)
        case .drift, .stale, .rolloutProgressed, .rolloutHeld:
            break
        }
    }

    /// The current pin of `key`, if the entry exists: long-lived streams follow swaps made by other calls.
    public func pinned(_ key: RegistryKey) -> PinnedSource? {
        state.withLock { $0.machine.entries[key]?.pinned }
    }

    // MARK: Reading

    /// A fresh observation for `pinned`, if the cache has one (the demo view, tests).
    public func cachedObservation(for pinned: PinnedSource) -> ObservationCache.Stored? {
        let now = clock.now()
        let stored = state.withLock { $0.cache.fresh(pinned.source, at: now) }
        if stored != nil { metrics.cacheHits.increment() }
        return stored
    }

    /// The request path after admission, when nothing fresh was cached: reads the entry's
    /// current pin (cached, coalesced with a read in flight, or read now) and applies the
    /// request's scaling parameters. A failed read or evaluation re-resolves the entry
    /// (adopting a candidate or pending source, or rebuilding the connection within its
    /// backoff) and retries once before `deadline`; this is the only place that retries.
    /// `admitted` is the pin the request was admitted to, used if the entry is gone. A
    /// cached observation older than `maxAge` is not reused.
    public func evaluate(
        _ key: RegistryKey, admitted: PinnedSource, scaling: ScalingParameters, deadline: ContinuousClock.Instant?, maxAge: Duration? = nil
    ) async throws(KafkaLagError) -> Evaluation {
        var pinned = self.pinned(key) ?? admitted
        var retried = false
        while true {
            let (outcome, readFailed) = await readAndEvaluate(key, pinned: pinned, scaling: scaling, deadline: deadline, maxAge: maxAge)
            let error: KafkaLagError
            switch outcome {
            case .success(let evaluation): return evaluation
            case .failure(let failure): error = failure
            }
            // The caller gave up waiting (the read goes on and decides about the source), the
            // scaler is shutting down, or the request's own parameters failed: no failure of the source.
            if error.code == .deadlineExceeded || error == Self.shuttingDown || error.causedByRequest { throw error }
            if retried {
                state.withLock { state in _ = state.machine.failed(key, generation: pinned.generation, message: error.message, at: clock.now()) }
                logger.warning("retry after rebuild failed", metadata: Self.metadata(key, pinned).merging(["error": "\(error)"]) { $1 })
                throw error
            }
            // An evaluation that failed on a healthy read fails the same way on the same
            // source: only another source is worth a retry.
            guard let retry = await recover(key, pinned: pinned, from: error), readFailed || retry.source != pinned.source else { throw error }
            if let deadline, ContinuousClock.now >= deadline { throw error }
            pinned = retry
            retried = true
        }
    }

    /// One read through `pinned` and its evaluation; `readFailed` tells which failed.
    private func readAndEvaluate(
        _ key: RegistryKey, pinned: PinnedSource, scaling: ScalingParameters, deadline: ContinuousClock.Instant?, maxAge: Duration?
    ) async -> (outcome: Result<Evaluation, KafkaLagError>, readFailed: Bool) {
        let stored: ObservationCache.Stored
        do {
            stored = try await read(pinned.source, deadline: deadline, maxAge: maxAge)
        } catch {
            return (.failure(error), true)
        }
        return (Result { () throws(KafkaLagError) in try evaluate(key, pinned: pinned, stored: stored, scaling: scaling) }, false)
    }

    /// One read of `source` through its connection, coalesced and cached.
    private func read(_ source: Source, deadline: ContinuousClock.Instant?, maxAge: Duration?) async throws(KafkaLagError)
        -> ObservationCache.Stored
    {
        let now = clock.now()
        let plan: ReadPlan = state.withLock { state in
            switch state.cache.lookup(source, at: now, maxAge: maxAge) {
            case .fresh(let stored):
                return .fresh(stored)
            case .join(let readID):
                if let task = state.reads[readID] { return .wait(task, joined: true) }
                return .wait(Task { .failure(KafkaLagError(.internalError, "coalesced read \(readID) vanished")) }, joined: true)
            case .start(let readID):
                let task = Task { await self.performRead(source, readID: readID) }
                state.reads[readID] = task
                return .wait(task, joined: false)
            }
        }
        switch plan {
        case .fresh(let stored):
            metrics.cacheHits.increment()
            return stored
        case .wait(let task, let joined):
            if joined { metrics.coalescedWaits.increment() }
            return try await Self.wait(for: task, until: deadline).get()
        }
    }

    /// The read's outcome, or `deadlineExceeded` once the caller's own `deadline` passes
    /// first; the read itself goes on for the callers still waiting.
    private static func wait(
        for task: Task<Result<ObservationCache.Stored, KafkaLagError>, Never>, until deadline: ContinuousClock.Instant?
    ) async -> Result<ObservationCache.Stored, KafkaLagError> {
        guard let deadline else { return await task.value }
        let outcome = FirstOutcome<Result<ObservationCache.Stored, KafkaLagError>>()
        return await withCheckedContinuation { continuation in
            outcome.set(continuation)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                outcome.resume(.failure(KafkaLagError(.deadlineExceeded, "the call's deadline ran out while Kafka was being read")))
            }
            Task {
                outcome.resume(await task.value)
                timer.cancel()
            }
        }
    }

    /// The Kafka round trip behind a coalesced read. It runs on `--kafka-timeout`, never on
    /// a caller's deadline: every caller that joins it waits only as long as its own.
    private func performRead(_ source: Source, readID: UInt64) async -> Result<ObservationCache.Stored, KafkaLagError> {
        let started = ContinuousClock.now
        let deadline = started.advanced(by: configuration.kafkaTimeout)
        let leased = await lease(source.connection)
        let result: Result<Observation, KafkaLagError>
        switch leased {
        case .failure(let error):
            result = .failure(error)
        case .success(let reader):
            do {
                result = .success(try await reader.reader.observe(source, deadline: deadline))
            } catch {
                result = .failure(error)
            }
            let now = clock.now()
            let retired = state.withLock { $0.pool.endLease(reader, at: now) }
            if let retired { await retired.reader.close() }
        }
        metrics.observationDuration.record(duration: ContinuousClock.now - started)
        let now = clock.now()
        let (stored, handles) = state.withLock { state in
            state.reads[readID] = nil
            if case .success = result { state.pool.succeeded(source.connection) }
            return (state.cache.complete(source, readID: readID, with: try? result.get(), at: now), state.pool.handleCount)
        }
        metrics.handles.record(handles)
        switch (result, stored) {
        case (.success, .some(let stored)):
            metrics.observationsOK.increment()
            return .success(stored)
        case (.failure(let error), _):
            metrics.observationsFailed.increment()
            metrics.kafkaError(kind: error.code.description)
            return .failure(error)
        case (.success, .none):
            return .failure(KafkaLagError(.internalError, "observation was not stored"))
        }
    }

    /// What a read does to get a connection, decided under the lock.
    private enum LeaseStep {
        case leased(PooledReader)
        case wait(Task<KafkaLagError?, Never>)
        case refused(KafkaLagError)
    }

    static let shuttingDown = KafkaLagError(.unavailable, "the scaler is shutting down")

    /// Borrows `settings`' connection for one read. A connection is opened outside the
    /// lock (`rd_kafka_new` starts threads and resolves names), once for every read that
    /// needs it meanwhile; none opens after shutdown.
    private func lease(_ settings: ConnectionSettings) async -> Result<PooledReader, KafkaLagError> {
        while true {
            let step: LeaseStep = state.withLock { state in
                if state.draining { return .refused(Self.shuttingDown) }
                if let reader = state.pool.lease(settings) { return .leased(reader) }
                if let opening = state.openings[settings] { return .wait(opening) }
                let opening = Task { await self.open(settings) }
                state.openings[settings] = opening
                return .wait(opening)
            }
            switch step {
            case .leased(let reader):
                return .success(reader)
            case .refused(let error):
                return .failure(error)
            case .wait(let opening):
                if let error = await opening.value { return .failure(error) }
            }
        }
    }

    /// Opens a connection for `settings` and installs it in the pool; nil on success.
    private func open(_ settings: ConnectionSettings) async -> KafkaLagError? {
        let opened = await makeReader(for: settings)
        let surplus: PooledReader? = state.withLock { state in
            state.openings[settings] = nil
            guard case .success(let reader) = opened else { return nil }
            if state.draining { return reader }
            let installed = state.pool.install(reader, for: settings)
            _ = state.pool.endLease(installed.lent, at: clock.now())
            return installed.surplus
        }
        if let surplus { await surplus.reader.close() }
        if case .failure(let error) = opened { return error }
        return nil
    }

    /// A new connection, opened outside the lock.
    private func makeReader(for settings: ConnectionSettings) async -> Result<PooledReader, KafkaLagError> {
        do {
            return .success(PooledReader(try await readers.makeReader(for: settings)))
        } catch {
            return .failure(error)
        }
    }

    /// The failure path of DESIGN.md §4: re-resolve, adopt or rebuild. Returns the pin
    /// to retry through, or nil when no retry is due (superseded, backing off,
    /// re-resolution failed). Also for failures found after the read, such as a
    /// topic with no active partition.
    func recover(_ key: RegistryKey, pinned: PinnedSource, from error: KafkaLagError) async -> PinnedSource? {
        let now = clock.now()
        guard let plan = state.withLock({ $0.machine.failed(key, generation: pinned.generation, message: error.message, at: now) }) else {
            return nil
        }
        logger.warning("kafka read failed", metadata: Self.metadata(key, pinned).merging(["error": "\(error)"]) { $1 })
        return await apply(plan, at: now)
    }

    /// Re-resolves a failure's or a reload's plan and carries out the outcome.
    private func apply(_ plan: RegistryStateMachine.ReResolution, at now: RegistryInstant) async -> PinnedSource? {
        let source: Source
        do {
            source = try resolver.reResolve(plan.metadata, namespace: plan.key.namespace)
        } catch {
            state.withLock { $0.machine.resolutionFailed(plan, message: error.message, at: now) }
            logger.error(
                "re-resolving the source failed", metadata: ["key": "\(plan.key)", "reason": "\(plan.reason.rawValue)", "error": "\(error)"])
            return nil
        }
        let outcome = state.withLock { state in
            let outcome = state.machine.resolved(plan, to: source, at: now)
            if case .swapped(_, let events) = outcome {
                for event in events { Self.apply(event, to: &state, at: now) }
            }
            return outcome
        }
        switch outcome {
        case .superseded:
            return nil
        case .swapped(let pin, let events):
            events.forEach(announce)
            metrics.pending(plan.key, false)
            return pin
        case .reconnect(let pin):
            return await rebuild(plan.key, pin, at: now) ? pin : nil
        }
    }

    /// Rebuilds `pin`'s connection unless it was rebuilt too recently. The new
    /// connection is opened outside the lock.
    private func rebuild(_ key: RegistryKey, _ pin: PinnedSource, at now: RegistryInstant) async -> Bool {
        let settings = pin.source.connection
        let start = state.withLock { state -> ConnectionPool<PooledReader>.RebuildStart in
            if state.draining { return .backingOff(until: nil) }
            let start = state.pool.startRebuild(settings, at: now)
            if case .backingOff = start { state.machine.backingOff(key, generation: pin.generation) }
            return start
        }
        if case .backingOff(let until) = start {
            let wait = until.map { "\($0.monotonic - now.monotonic)" } ?? "unknown"
            logger.info("kafka connection rebuild backing off", metadata: Self.metadata(key, pin).merging(["retry_in": "\(wait)"]) { $1 })
            return false
        }
        let fresh: PooledReader
        switch await makeReader(for: settings) {
        case .success(let reader):
            fresh = reader
        case .failure(let error):
            state.withLock { _ = $0.machine.failed(key, generation: pin.generation, message: error.message, at: now) }
            return false
        }
        let close = state.withLock { $0.draining ? fresh : $0.pool.finishRebuild(settings, with: fresh) }
        metrics.rebuilds.increment()
        logger.info("kafka connection rebuilt", metadata: Self.metadata(key, pin))
        if let close { Task { await close.reader.close() } }
        return true
    }

    /// Applies the request's scaling parameters to an observation read through
    /// `pinned`, advancing the entry's persistent-lag history once per new
    /// observation. The entry's kept evaluation of the same observation with the same
    /// parameters is reused; otherwise the lag math runs outside the lock.
    func evaluate(_ key: RegistryKey, pinned: PinnedSource, stored: ObservationCache.Stored, scaling: ScalingParameters)
        throws(KafkaLagError) -> Evaluation
    {
        let started = clock.now()
        let (kept, history, due): (Evaluation?, PersistentLagState, RegistryStateMachine.CandidateRead?) = state.withLock { state in
            guard let index = state.lag.index(forKey: key) else { return (nil, .empty, nil) }
            let history = state.lag.values[index].history(for: stored.sequence)
            guard state.machine.entries[key]?.pinned.generation == pinned.generation,
                let kept = state.lag.values[index].reuse(sequence: stored.sequence, scaling: scaling, at: started)
            else { return (nil, history, nil) }
            state.machine.succeeded(key, generation: pinned.generation, at: started)
            return (kept, history, state.machine.candidateReadDue(key, pinGeneration: pinned.generation, observation: stored.sequence))
        }
        if let kept {
            if let due { readCandidate(due, scaling: scaling) }
            return kept
        }
        let source = pinned.source
        let (evaluation, next) = try LagCalculator.evaluate(
            stored.observation, topic: source.topic, consumerGroup: source.consumerGroup, parameters: scaling, state: history)
        let now = clock.now()
        let candidateDue = state.withLock { state -> RegistryStateMachine.CandidateRead? in
            guard state.machine.entries[key]?.pinned.generation == pinned.generation else { return nil }
            if let index = state.lag.index(forKey: key) {
                state.lag.values[index].record(evaluation, scaling: scaling, history: next, stored: stored, generation: pinned.generation, at: now)
            }
            state.machine.succeeded(key, generation: pinned.generation, at: now)
            return state.machine.candidateReadDue(key, pinGeneration: pinned.generation, observation: stored.sequence)
        }
        if let candidateDue { readCandidate(candidateDue, scaling: scaling) }
        return evaluation
    }

    // MARK: Shadow rollouts

    /// Reads a rollout candidate beside its pin, in the background: the request that
    /// brought the new observation of the pin is answered without waiting. The outcome
    /// moves the rollout on (or pins the candidate), or holds it.
    private func readCandidate(_ due: RegistryStateMachine.CandidateRead, scaling: ScalingParameters) {
        Task {
            let outcome = await candidateEvaluation(due.source, scaling: scaling)
            // Shutdown is no verdict on the candidate.
            if case .failure(Self.shuttingDown) = outcome { return }
            let now = clock.now()
            let events = state.withLock { state in
                let events =
                    switch outcome {
                    case .success(let evaluation): state.machine.candidateSucceeded(due, evaluation: evaluation, at: now)
                    case .failure(let error): state.machine.candidateFailed(due, message: error.message, at: now)
                    }
                for event in events { Self.apply(event, to: &state, at: now) }
                return events
            }
            events.forEach(announce)
            if events.contains(where: { if case .swapped = $0 { true } else { false } }) { metrics.pending(due.key, false) }
        }
    }

    /// A fresh read of a candidate source (never a cached observation: each read must
    /// prove the source), evaluated with the request's parameters for `/registry`. A
    /// failure of the parameters themselves is no failure of the source: no evaluation then.
    private func candidateEvaluation(_ source: Source, scaling: ScalingParameters) async -> Result<LastEvaluation?, KafkaLagError> {
        do {
            let stored = try await read(source, deadline: nil, maxAge: .zero)
            let (evaluation, _) = try LagCalculator.evaluate(
                stored.observation, topic: source.topic, consumerGroup: source.consumerGroup, parameters: scaling, state: .empty)
            return .success(
                LastEvaluation(
                    at: clock.now(), metric: evaluation.metricValue, active: evaluation.isActive, totalLag: evaluation.totalLagWithPersistent))
        } catch {
            return error.causedByRequest ? .success(nil) : .failure(error)
        }
    }

    // MARK: Operators

    /// Every entry and connection, for `GET /registry`.
    public func status() -> RegistryStatus {
        let (entries, lag, pool) = state.withLock { ($0.machine.entries, $0.lag, $0.pool.snapshots) }
        return RegistryStatus(entries: entries, lag: lag, pool: pool)
    }

    /// The history of ScaledObject `namespace/name`'s entries (of its trigger `triggerName`
    /// only, when given), oldest event first.
    public func history(namespace: String, name: String, triggerName: String?) -> RegistryHistory {
        let histories = state.withLock { state in
            state.machine.entries.compactMap { key, entry -> (RegistryKey, EntryHistory)? in
                guard key.namespace == namespace, key.name == name, triggerName.map({ $0 == key.triggerName }) ?? true else { return nil }
                return (key, entry.history)
            }
        }
        return RegistryHistory(histories)
    }

    /// Re-pins one entry, or every entry when `key` is nil, to its newest source,
    /// re-reading auth-profile files. Returns how many entries were re-pinned.
    @discardableResult
    public func reload(_ key: RegistryKey?) async -> Int {
        let plans = state.withLock { $0.machine.reload(key) }
        let now = clock.now()
        var reloaded = 0
        for plan in plans where await apply(plan, at: now) != nil { reloaded += 1 }
        return reloaded
    }

    /// One pass of auth-profile watching: every profile an entry uses whose files changed
    /// since the last pass (a Secret update swaps its `..data` link), or that this pass sees
    /// for the first time, is re-read, and each
    /// such entry records what its metadata resolves to now as its pending source, with a
    /// log line, the pending gauge and a history event. Nothing served changes: the new
    /// credentials are adopted at the next version bump, failure or reload. A profile that
    /// disappears or no longer resolves is reported and changes nothing. Call periodically.
    public func checkProfiles() async {
        let now = clock.now()
        let count = state.withLock { $0.machine.entries.count }
        // Which profiles are in use is found by scanning the entries, under the lock: only
        // when the entry count changed, or every `profileRescan`. A pass otherwise costs one
        // stamp per profile in use and no scan.
        var users =
            profileWatch.withLock { watch in
                watch.entryCount == count && watch.lastScan.map { now.monotonic - $0 < Self.profileRescan } == true
            } ? nil : profileUsers()
        let changed = profileWatch.withLock { watch in
            var firstSight: Set<String> = []
            if let users {
                watch.entryCount = count
                watch.lastScan = now.monotonic
                watch.stamps = watch.stamps.filter { users[$0.key] != nil }
                firstSight = Set(users.keys).subtracting(watch.stamps.keys)
            }
            var changed: [String] = []
            for name in Set(watch.stamps.keys).union(firstSight).sorted() {
                let stamp = resolver.profileStamp(name)
                // A profile seen for the first time is compared too: it may have changed
                // between its entries' first read and this pass.
                if firstSight.contains(name) || watch.stamps[name] != .some(stamp) { changed.append(name) }
                watch.stamps[name] = stamp
            }
            return changed
        }
        guard !changed.isEmpty else { return }
        if users == nil { users = profileUsers() }
        for name in changed {
            for entry in users?[name] ?? [] {
                let source: Source
                do {
                    source = try resolver.reResolve(entry.metadata, namespace: entry.key.namespace)
                } catch {
                    metrics.profileError(name)
                    logger.error(
                        "auth profile changed and no longer resolves; nothing served changes",
                        metadata: [
                            "profile": "\(name)", "key": "\(entry.key)", "error": "\(error)",
                        ])
                    continue
                }
                let event = state.withLock {
                    $0.machine.profileChanged(entry.key, generation: entry.generation, to: source, metadata: entry.metadata, at: now)
                }
                if let event {
                    announce(event)
                    metrics.pending(entry.key, true)
                }
            }
        }
    }

    private struct ProfileWatch {
        /// The last stamp of each profile in use (`nil`: the profile was gone).
        var stamps: [String: String?] = [:]
        var entryCount = -1
        var lastScan: Duration?
    }

    /// How often ``checkProfiles()`` rescans the entries when their count stays the same
    /// (an entry that switched profiles is then watched under its new one).
    static let profileRescan: Duration = .seconds(30)

    /// The entries using each auth profile: copied under the lock, sorted out outside it.
    private func profileUsers() -> [String: [(key: RegistryKey, metadata: [String: String], generation: UInt64)]] {
        let entries = state.withLock { state in
            state.machine.entries.map { (key: $0.key, metadata: $0.value.newestMetadata, generation: $0.value.pinned.generation) }
        }
        var users: [String: [(key: RegistryKey, metadata: [String: String], generation: UInt64)]] = [:]
        for entry in entries {
            if let name = resolver.profileName(in: entry.metadata) { users[name, default: []].append(entry) }
        }
        return users
    }

    /// Evicts entries KEDA stopped asking about, closes connections no entry used for
    /// the idle timeout or that need replacement, and forgets expired observations.
    /// Call periodically.
    public func sweep() async {
        let now = clock.now()
        let (evicted, closed, handles, entries) = state.withLock { state in
            let evicted = state.machine.evict(idleFor: configuration.entryIdleTimeout, at: now)
            for (key, entry) in evicted {
                state.pool.release(entry.pinned.source.connection, at: now)
                if let candidate = entry.candidate { state.pool.release(candidate.source.connection, at: now) }
                state.lag[key] = nil
            }
            state.cache.evictExpired(at: now)
            let closed = state.pool.sweep(at: now) + state.pool.retire { $0.reader.needsReplacement }
            return (evicted, closed, state.pool.handleCount, state.machine.entries.count)
        }
        for (key, entry) in evicted {
            metrics.forget(key)
            logger.info(
                "registry entry evicted after no request for the idle timeout",
                metadata: Self.metadata(key, entry.pinned).merging([
                    "idle_timeout": "\(configuration.entryIdleTimeout)"
                ]) { $1 })
        }
        if !evicted.isEmpty { metrics.entries.record(entries) }
        metrics.handles.record(handles)
        for pooled in closed { await pooled.reader.close() }
    }

    /// How many connections shutdown closes at once: each close joins librdkafka's
    /// threads, which can take a while with brokers down.
    static let closeConcurrency = 16

    /// Closes every connection (shutdown), several at once; reads from now on open none
    /// and fail with UNAVAILABLE.
    public func shutdown() async {
        let all = state.withLock { state in
            state.draining = true
            return state.pool.drain()
        }
        metrics.handles.record(0)
        await withTaskGroup(of: Void.self) { group in
            for (index, pooled) in all.enumerated() {
                if index >= Self.closeConcurrency { await group.next() }
                group.addTask { await pooled.reader.close() }
            }
        }
    }

    // MARK: Logging

    /// Real bumps go up by one or a few; a larger jump is logged at warning, since a
    /// caller that can reach the port could use it to take a pin over.
    static let suspiciousVersionJump: UInt64 = 1000

    private func announce(_ event: RegistryEvent) {
        switch event {
        case .created(let key, let version, let source):
            logger.info(
                "registry entry created",
                metadata: [
                    "key": "\(key)", "version": "\(version)", "fingerprint": "\(source.fingerprint)",
                ])
        case .drift(let key, let version, let pinned, let pending):
            logger.warning(
                "source drift: a different source at the pinned version is pending",
                metadata: [
                    "key": "\(key)", "version": "\(version)", "pinned_fingerprint": "\(pinned.fingerprint)",
                    "pending_fingerprint": "\(pending.fingerprint)",
                    "hint": "bump configVersion, or POST /registry/reload, to adopt it",
                ])
        case .stale(let key, let requested, let pinnedVersion, let source):
            logger.warning(
                "stale configVersion served from the pinned source",
                metadata: [
                    "key": "\(key)", "requested_version": "\(requested)", "pinned_version": "\(pinnedVersion)",
                    "requested_fingerprint": "\(source.fingerprint)",
                ])
        case .swapped(let key, let from, let to, let reason):
            metrics.swapped(reason)
            let metadata: Logger.Metadata = [
                "key": "\(key)", "reason": "\(reason.rawValue)", "from_version": "\(from.version)", "to_version": "\(to.version)",
                "from_fingerprint": "\(from.source.fingerprint)", "to_fingerprint": "\(to.source.fingerprint)",
            ]
            logger.notice("registry entry swapped", metadata: metadata)
            if reason != .rollout, to.version > from.version + Self.suspiciousVersionJump {
                logger.warning("configVersion jumped by more than \(Self.suspiciousVersionJump): check who bumped it", metadata: metadata)
            }
        case .rolloutStarted(let key, let pinned, let candidate, let replaced):
            metrics.rollout(key, .inProgress)
            var metadata = Self.rolloutMetadata(key, candidate).merging([
                "pinned_version": "\(pinned.version)", "pinned_fingerprint": "\(pinned.source.fingerprint)",
            ]) { $1 }
            if let replaced { metadata["replaced_version"] = "\(replaced.version)" }
            logger.notice("shadow rollout started: the pinned source keeps serving while the new one is read beside it", metadata: metadata)
            if candidate.version > pinned.version + Self.suspiciousVersionJump {
                logger.warning("configVersion jumped by more than \(Self.suspiciousVersionJump): check who bumped it", metadata: metadata)
            }
        case .rolloutProgressed(let key, let candidate):
            metrics.rollout(key, .inProgress)
            logger.info("shadow rollout progressed", metadata: Self.rolloutMetadata(key, candidate))
        case .rolloutHeld(let key, let candidate):
            metrics.rollout(key, .held)
            logger.warning(
                "shadow rollout held: reading the new source failed; the pinned source keeps serving",
                metadata: Self.rolloutMetadata(key, candidate).merging([
                    "error": "\(candidate.lastError ?? "")", "failed_reads": "\(candidate.failedReads)",
                    "hint": "fix the source and bump configVersion again, or POST /registry/reload to force it in",
                ]) { $1 })
        case .rolloutEnded(let key, _):
            metrics.rollout(key, nil)
        }
    }

    private static func rolloutMetadata(_ key: RegistryKey, _ candidate: RolloutCandidate) -> Logger.Metadata {
        [
            "key": "\(key)", "candidate_version": "\(candidate.version)", "candidate_fingerprint": "\(candidate.source.fingerprint)",
            "observations": "\(candidate.observations)", "required": "\(candidate.required)",
        ]
    }

    private static func metadata(_ key: RegistryKey, _ pin: PinnedSource) -> Logger.Metadata {
        ["key": "\(key)", "version": "\(pin.version)", "fingerprint": "\(pin.source.fingerprint)"]
    }
}
