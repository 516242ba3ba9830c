/// What one client may cost the ops port: it faces the same pods as the gRPC port,
/// so a slow or flooding client must not hold connections or memory without bound.
public struct OpsLimits: Sendable, Hashable {
    /// Open connections at most (`--ops-max-connections`); more are closed at accept.
    /// Default 64: Prometheus, kubelet probes and an operator's curl need a handful.
    public var maxConnections: Int
    /// Time a client has to send a whole request, counted from the connection's start
    /// or the previous response (`--ops-request-timeout`): slow or idle clients are
    /// closed. Default 10 s.
    public var requestTimeout: Duration
    /// Longest request target, in bytes; longer ones get 414. Default 8 KiB.
    public var maxURIBytes: Int
    /// Largest request body, in bytes (no route reads one); larger ones get 413. Default 64 KiB.
    public var maxBodyBytes: Int

    public init(maxConnections: Int, requestTimeout: Duration, maxURIBytes: Int, maxBodyBytes: Int) {
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.maxURIBytes = maxURIBytes
        self.maxBodyBytes = maxBodyBytes
    }

    public static var defaults: Self {
        Self(maxConnections: 64, requestTimeout: .seconds(10), maxURIBytes: 8 * 1024, maxBodyBytes: 64 * 1024)
    }
}
