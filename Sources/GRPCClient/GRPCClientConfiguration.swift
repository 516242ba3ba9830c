public import NIOSSL

/// How the client connects and what it accepts.
public struct GRPCClientConfiguration: Sendable {
    /// The bound on establishing the TCP connection.
    public var connectTimeout: Duration
    /// The largest response message accepted (RESOURCE_EXHAUSTED above it).
    public var maximumResponseLength: Int
    /// TLS (ALPN `h2` is added), or nil for h2c with prior knowledge.
    public var tls: TLS?

    /// TLS to a server that has `--tls-cert` set.
    public struct TLS: Sendable {
        /// Trust roots, client certificate and verification, as NIOSSL takes them.
        public var configuration: TLSConfiguration
        /// The name to verify and send as SNI; nil uses the host connected to.
        public var serverHostname: String?

        public init(configuration: TLSConfiguration, serverHostname: String? = nil) {
            self.configuration = configuration
            self.serverHostname = serverHostname
        }
    }

    /// Makes a configuration.
    public init(connectTimeout: Duration, maximumResponseLength: Int, tls: TLS? = nil) {
        self.connectTimeout = connectTimeout
        self.maximumResponseLength = maximumResponseLength
        self.tls = tls
    }

    /// A 5 s connect timeout (a probe should fail fast, not hang) and gRPC's default
    /// 4 MiB receive limit.
    public static var defaults: Self {
        GRPCClientConfiguration(connectTimeout: .seconds(5), maximumResponseLength: 4 * 1024 * 1024)
    }
}
