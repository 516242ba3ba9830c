public import GRPCCore

/// How the gRPC server listens, limits calls and shuts down.
public struct GRPCServerConfiguration: Sendable, Hashable {
    /// HTTP/2 settings and limits of each connection.
    public struct HTTP2: Sendable, Hashable {
        /// `SETTINGS_MAX_CONCURRENT_STREAMS`: KEDA multiplexes every ScaledObject's streams on
        /// one connection, so keep this ≥ 1000.
        public var maxConcurrentStreams: UInt32
        /// `SETTINGS_INITIAL_WINDOW_SIZE`, the per-stream receive window.
        public var initialWindowSize: UInt32
        /// The connection receive window (SETTINGS cannot raise it; a WINDOW_UPDATE does). It is
        /// also the connection's budget of buffered request bytes: the window is given back only
        /// as requests are dispatched, so a client cannot make the server hold more.
        public var connectionWindowSize: Int32
        /// `SETTINGS_MAX_HEADER_LIST_SIZE`, advertised and enforced per request.
        public var maxHeaderListSize: Int
        /// The largest request message (judged from the length prefix).
        public var maxReceiveMessageLength: Int
        /// RST_STREAM frames a client may send in a burst before the connection is torn down
        /// (rapid-reset protection).
        public var streamResetBurst: UInt64
        /// RST_STREAM frames per second refilled into that burst.
        public var streamResetRate: UInt64
        /// CONTINUATION frames one header block may span (CVE-2024-28182).
        public var maxContinuations: Int
        /// Entries one SETTINGS frame may carry.
        public var maxSettingsEntries: Int
        /// ACKs (PING, SETTINGS) and RST_STREAMs nghttp2 may hold unsent before it ends a
        /// connection whose peer does not read.
        public var maxOutboundControlFrames: Int
        /// Response bytes one stream may have queued for a client whose flow-control window
        /// stays shut; a stream whose queue holds more when its next answer is ready is
        /// reset with ENHANCE_YOUR_CALM (one answer of any allowed size always fits).
        public var maxQueuedBytesPerStream: Int
        /// The PING and SETTINGS policy.
        public var controlFrames: ControlFramePolicy.Limits

        /// 1000 streams, 1 MiB stream and 16 MiB connection windows, 16 KiB headers, 4 MiB
        /// messages, a 1000-reset burst refilled at 33/s, 8 CONTINUATIONs, 32 SETTINGS entries
        /// and 1000 unsent ACKs (nghttp2's own defaults), 4 MiB queued per stream, and
        /// ``ControlFramePolicy/Limits/defaults``.
        public static var defaults: Self {
            HTTP2(
                maxConcurrentStreams: 1000,
                initialWindowSize: 1 << 20,
                connectionWindowSize: 1 << 24,
                maxHeaderListSize: 16_384,
                maxReceiveMessageLength: 4 * 1024 * 1024,
                streamResetBurst: 1000,
                streamResetRate: 33,
                maxContinuations: 8,
                maxSettingsEntries: 32,
                maxOutboundControlFrames: 1000,
                maxQueuedBytesPerStream: 4 * 1024 * 1024,
                controlFrames: .defaults
            )
        }
    }

    /// The address to bind.
    public var host: String
    /// The port to bind; 0 picks a free one (logged once bound).
    public var port: Int
    /// The connection limits.
    public var http2: HTTP2
    /// The delay between the first GOAWAY (shutdown notice) and the final one.
    public var goAwayDelay: Duration
    /// The bound on the whole graceful shutdown; connections still open then are closed.
    public var shutdownGrace: Duration
    /// How long a client has to complete its TLS handshake and to send the HTTP/2 preface
    /// and SETTINGS before its connection is closed.
    public var handshakeTimeout: Duration
    /// How long a connection may stay without an open stream before it gets GOAWAY and is
    /// closed (gRPC clients reconnect on their next call).
    public var idleTimeout: Duration
    /// Open client connections at most; further ones are closed at accept.
    public var maxConnections: Int
    /// With mTLS, the names (DNS subjectAltName, else CN) of the clients that may connect;
    /// empty: any client whose certificate the client CA issued.
    public var allowedClientNames: [String]

    /// Binds `host:port` with default limits.
    public init(
        host: String,
        port: Int,
        http2: HTTP2 = .defaults,
        goAwayDelay: Duration = .seconds(1),
        shutdownGrace: Duration = .seconds(20),
        handshakeTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(600),
        maxConnections: Int = 10_000,
        allowedClientNames: [String] = []
    ) {
        self.host = host
        self.port = port
        self.http2 = http2
        self.goAwayDelay = goAwayDelay
        self.shutdownGrace = shutdownGrace
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.allowedClientNames = allowedClientNames
    }

    /// `0.0.0.0:6000`, the default HTTP/2 limits, a 1 s GOAWAY gap, a 20 s shutdown grace,
    /// 10 s for the TLS and HTTP/2 handshakes, 10 idle minutes, 10,000 connections, and any
    /// client the client CA issued.
    public static var defaults: Self { GRPCServerConfiguration(host: "0.0.0.0", port: 6000) }
}
