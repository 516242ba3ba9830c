/// Spaces out rebuilds of one Kafka connection so that an outage never turns into
/// connection churn: the first rebuild is free, then each next one waits 1 s,
/// doubling up to 60 s; a success resets it.
public struct RebuildBackoff: Sendable, Hashable {
    /// Backoff bounds.
    public struct Configuration: Sendable, Hashable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration, maximum: Duration) {
            self.initial = initial
            self.maximum = maximum
        }

        /// 1 s doubling to 60 s (DESIGN.md §4).
        public static var defaults: Self { Self(initial: .seconds(1), maximum: .seconds(60)) }
    }

    public let configuration: Configuration
    /// When the next rebuild may happen; `nil` when none happened since the last success.
    public private(set) var notBefore: RegistryInstant?
    private var nextDelay: Duration

    public init(configuration: Configuration = .defaults) {
        self.configuration = configuration
        self.nextDelay = configuration.initial
    }

    /// Whether a rebuild may happen at `now`; if so, it is recorded and the next delay grows.
    public mutating func attempt(at now: RegistryInstant) -> Bool {
        if let notBefore, now < notBefore { return false }
        notBefore = now.advanced(by: nextDelay)
        nextDelay = min(nextDelay * 2, configuration.maximum)
        return true
    }

    /// A successful read through the connection: the next failure rebuilds at once.
    public mutating func reset() {
        notBefore = nil
        nextDelay = configuration.initial
    }
}
