/// How the client connects and what it accepts.
public struct GRPCClientConfiguration: Sendable, Hashable {
    /// The bound on establishing the TCP connection.
    public var connectTimeout: Duration
    /// The largest response message accepted (RESOURCE_EXHAUSTED above it).
    public var maximumResponseLength: Int

    /// Makes a configuration.
    public init(connectTimeout: Duration, maximumResponseLength: Int) {
        self.connectTimeout = connectTimeout
        self.maximumResponseLength = maximumResponseLength
    }

    /// A 5 s connect timeout (a probe should fail fast, not hang) and gRPC's default
    /// 4 MiB receive limit.
    public static var defaults: Self {
        GRPCClientConfiguration(connectTimeout: .seconds(5), maximumResponseLength: 4 * 1024 * 1024)
    }
}
