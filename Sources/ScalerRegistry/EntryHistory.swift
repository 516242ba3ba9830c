public import KafkaLag

/// The last events of one registry entry, oldest first, so an operator can tell after
/// the fact what the entry served and why it changed. Bounded: a trigger that changes
/// all day keeps only its latest ``capacity`` events.
public struct EntryHistory: Sendable {
    /// What happened to the entry.
    public struct Event: Sendable {
        public enum Kind: String, Sendable, Hashable {
            /// The first valid request pinned the source.
            case pinned
            /// A request brought another source at the pinned version (now pending).
            case drift
            /// A request brought a lower version than the pinned one.
            case stale
            /// The pin moved (`reason` says why).
            case swap
            /// Reads through the pin started failing, or failed differently.
            case failure
            /// A read succeeded again after failures.
            case recovered
            /// Re-resolving the trigger failed (its auth profile vanished, say).
            case resolutionFailed = "resolution_failed"
            /// The auth profile's files changed: the new credentials are pending.
            case profileChange = "profile_change"
            /// A `rollout: shadow` bump made its source the candidate (`from`: the pin).
            case rolloutStarted = "rollout_started"
            /// A candidate read succeeded (`message`: how many of how many).
            case rolloutProgressed = "rollout_progressed"
            /// A candidate read failed: the pin keeps serving (`message`: the error).
            case rolloutHeld = "rollout_held"
            /// The candidate was pinned (`from`: the pin it replaced; `reason` rollout).
            case rolloutCompleted = "rollout_completed"
        }

        public var at: RegistryInstant
        public var kind: Kind
        /// The version and source the event is about (the new pin of a swap, the pending
        /// or stale source of a drift or stale request). Shown by fingerprint only.
        public var version: UInt64
        public var source: Source
        /// The pin a swap left.
        public var from: (version: UInt64, source: Source)?
        public var reason: SwapReason?
        /// A failure's error text (never a secret: errors never carry one).
        public var message: String?

        init(
            at: RegistryInstant, kind: Kind, version: UInt64, source: Source,
            from: (version: UInt64, source: Source)? = nil, reason: SwapReason? = nil, message: String? = nil
        ) {
            self.at = at
            self.kind = kind
            self.version = version
            self.source = source
            self.from = from
            self.reason = reason
            self.message = message
        }
    }

    /// Events kept per entry.
    public static let capacity = 20

    private var ring: [Event] = []
    private var next = 0

    /// The kept events, oldest first.
    public var events: [Event] {
        ring.count < Self.capacity ? ring : Array(ring[next...] + ring[..<next])
    }

    mutating func record(_ event: Event) {
        if ring.count < Self.capacity {
            ring.append(event)
        } else {
            ring[next] = event
            next = (next + 1) % Self.capacity
        }
    }
}
