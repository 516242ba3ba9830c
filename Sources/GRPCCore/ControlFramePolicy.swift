import TimeUnits
/// Judges the PING and SETTINGS frames a client sends. Both cost the server an answer (an ACK)
/// and carry no request, so a peer can keep a server busy with them forever; gRPC servers
/// answer such a peer with GOAWAY `ENHANCE_YOUR_CALM`. Time is passed in (nanoseconds of a
/// monotonic clock), so the policy is a plain value the transport drives.
public struct ControlFramePolicy: Sendable {
    /// The limits.
    public struct Limits: Sendable, Hashable {
        /// The shortest gap between two PINGs that is not a strike, unless the server sent
        /// response HEADERS or DATA in between (grpc-go's `MinTime` enforcement).
        public var minimumPingInterval: Duration
        /// Strikes tolerated; the next one ends the connection (gRPC's `maxPingStrikes`).
        public var maximumPingStrikes: Int
        /// SETTINGS frames a client may send in a burst.
        public var settingsBurst: Int
        /// SETTINGS frames per second refilled into that burst.
        public var settingsPerSecond: Int

        /// PINGs at most every 5 minutes with nothing sent in between, 2 strikes (grpc-go's
        /// server defaults); 100 SETTINGS in a burst, 10 more per second.
        public static var defaults: Self {
            Limits(minimumPingInterval: .seconds(300), maximumPingStrikes: 2, settingsBurst: 100, settingsPerSecond: 10)
        }
    }

    /// Why a connection must end.
    public enum Violation: String, Sendable, Hashable {
        /// PINGs came faster than `minimumPingInterval` more than `maximumPingStrikes` times.
        case tooManyPings = "too_many_pings"
        /// SETTINGS frames came faster than their rate limit.
        case tooManySettings = "too_many_settings"
    }

    private let limits: Limits
    private var lastPingNanoseconds: UInt64?
    private var pingStrikes = 0
    private var settingsTokens: Int
    private var settingsRefilledNanoseconds: UInt64

    /// A fresh policy for a connection opened at `now`.
    public init(limits: Limits, now: UInt64) {
        self.limits = limits
        settingsTokens = limits.settingsBurst
        settingsRefilledNanoseconds = now
    }

    /// The server sent response HEADERS or DATA: the client's next PING is legitimate
    /// (gRPC clients send BDP and keepalive PINGs around real traffic).
    public mutating func didSendResponseFrames() {
        pingStrikes = 0
        lastPingNanoseconds = nil
    }

    /// A PING (not an ACK) arrived at `now`; nil while the client stays within the policy.
    public mutating func receivePing(now: UInt64) -> Violation? {
        defer { lastPingNanoseconds = now }
        guard let last = lastPingNanoseconds else { return nil }
        if now &- last < UInt64(limits.minimumPingInterval.nanoseconds) {
            pingStrikes += 1
        }
        return pingStrikes > limits.maximumPingStrikes ? .tooManyPings : nil
    }

    /// A SETTINGS frame (not an ACK) arrived at `now`; nil while within the rate limit.
    public mutating func receiveSettings(now: UInt64) -> Violation? {
        let perToken = 1_000_000_000 / UInt64(max(limits.settingsPerSecond, 1))
        let refill = (now &- settingsRefilledNanoseconds) / perToken
        if refill > 0 {
            settingsTokens = min(limits.settingsBurst, settingsTokens + Int(clamping: refill))
            settingsRefilledNanoseconds &+= refill * perToken
        }
        guard settingsTokens > 0 else { return .tooManySettings }
        settingsTokens -= 1
        return nil
    }
}
