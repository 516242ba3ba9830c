public import KafkaLag

/// One observation per KEDA round (DESIGN.md §4): the offsets read for a source are
/// reused while younger than the TTL, and concurrent reads of one source are
/// coalesced into a single Kafka round trip. Pure bookkeeping: the caller runs
/// the reads.
public struct ObservationCache: Sendable {
    /// An observation with the order in which it was read, so an entry can tell a
    /// new observation from one it already consumed.
    public struct Stored: Sendable, Hashable {
        public var observation: Observation
        public var sequence: UInt64
        public var at: RegistryInstant
    }

    /// What a reader should do.
    public enum Lookup: Sendable, Hashable {
        /// A fresh observation: use it.
        case fresh(Stored)
        /// Another read of this source is in flight: wait for it.
        case join(readID: UInt64)
        /// Start a read and report it with ``complete(_:readID:with:at:)``.
        case start(readID: UInt64)
    }

    /// How long an observation is reused; zero disables reuse (reads still coalesce).
    public var ttl: Duration
    private var stored: [Source: Stored] = [:]
    private var inFlight: [Source: UInt64] = [:]
    private var lastReadID: UInt64 = 0
    private var lastSequence: UInt64 = 0

    public init(ttl: Duration) {
        self.ttl = ttl
    }

    /// A fresh observation of `source`, if one exists: younger than the TTL, and than
    /// `maxAge` when the caller needs fresher offsets (a stream checking more often than the TTL).
    public func fresh(_ source: Source, at now: RegistryInstant, maxAge: Duration? = nil) -> Stored? {
        let limit = maxAge.map { min($0, ttl) } ?? ttl
        guard let stored = stored[source], Self.isFresh(readAt: stored.at, at: now, ttl: limit) else { return nil }
        return stored
    }

    /// Sequence of the newest observation stored for any source: while it is the one
    /// an entry last evaluated, that observation is still its source's newest.
    public var latestSequence: UInt64 { lastSequence }

    /// Whether an observation read at `readAt` is still reused at `now` under `ttl`.
    public static func isFresh(readAt: RegistryInstant, at now: RegistryInstant, ttl: Duration) -> Bool {
        now.monotonic - readAt.monotonic < ttl
    }

    /// Decides between reusing, joining and starting a read of `source`.
    public mutating func lookup(_ source: Source, at now: RegistryInstant, maxAge: Duration? = nil) -> Lookup {
        if let stored = fresh(source, at: now, maxAge: maxAge) { return .fresh(stored) }
        if let readID = inFlight[source] { return .join(readID: readID) }
        lastReadID += 1
        inFlight[source] = lastReadID
        return .start(readID: lastReadID)
    }

    /// Ends read `readID`; a successful one is stored and returned with its sequence.
    @discardableResult
    public mutating func complete(_ source: Source, readID: UInt64, with observation: Observation?, at now: RegistryInstant) -> Stored? {
        if inFlight[source] == readID { inFlight[source] = nil }
        guard let observation else { return nil }
        lastSequence += 1
        let entry = Stored(observation: observation, sequence: lastSequence, at: now)
        stored[source] = entry
        return entry
    }

    /// Forgets observations older than the TTL, so sources no trigger uses any more
    /// do not keep their offsets in memory.
    public mutating func evictExpired(at now: RegistryInstant) {
        stored = stored.filter { Self.isFresh(readAt: $0.value.at, at: now, ttl: ttl) }
    }
}
