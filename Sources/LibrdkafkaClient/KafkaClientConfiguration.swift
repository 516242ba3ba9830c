import KafkaLag

/// How a ``KafkaClient`` talks to Kafka, apart from where (``ConnectionSettings``).
/// Shared by every pooled connection; the registry builds it from flags.
public struct KafkaClientConfiguration: Sendable, Hashable {
    /// Upper bound of one observation when the caller brings no deadline of its own.
    public var kafkaTimeout: Duration
    /// How long cached topic partitions are trusted before a topic-scoped
    /// Metadata request refreshes them (they are also refreshed after any error).
    public var metadataMaxAge: Duration
    /// Socket-level timeout for a request in flight (`socket.timeout.ms`).
    public var socketTimeout: Duration
    /// TCP keepalive on broker connections (`socket.keepalive.enable`).
    public var socketKeepalive: Bool
    /// First reconnect delay after a broker connection fails (`reconnect.backoff.ms`).
    public var reconnectBackoff: Duration
    /// Ceiling of the exponential reconnect delay (`reconnect.backoff.max.ms`); kept short
    /// so that a broker that comes back serves the next evaluation.
    public var reconnectBackoffMax: Duration
    /// Interval of librdkafka's statistics JSON (per-broker request counters),
    /// `nil` to disable it. Tests and benchmarks turn it on to count requests.
    public var statisticsInterval: Duration?
    /// `client.id` shown in broker logs and quotas.
    public var clientID: String
    /// Extra librdkafka properties, applied last (an escape hatch for operators).
    public var additionalProperties: [String: String]
    /// How long a client may keep an admin request whose caller stopped waiting before
    /// it asks to be replaced; below librdkafka's 1-hour admin timeout, whose firing
    /// while the request waits for a coordinator crashes librdkafka 2.0.2.
    public var abandonedRequestLimit: Duration

    /// Every field explicit; start from ``defaults`` and change what you need instead.
    public init(
        kafkaTimeout: Duration,
        metadataMaxAge: Duration,
        socketTimeout: Duration,
        socketKeepalive: Bool,
        reconnectBackoff: Duration,
        reconnectBackoffMax: Duration,
        statisticsInterval: Duration?,
        clientID: String,
        additionalProperties: [String: String],
        abandonedRequestLimit: Duration
    ) {
        self.kafkaTimeout = kafkaTimeout
        self.metadataMaxAge = metadataMaxAge
        self.socketTimeout = socketTimeout
        self.socketKeepalive = socketKeepalive
        self.reconnectBackoff = reconnectBackoff
        self.reconnectBackoffMax = reconnectBackoffMax
        self.statisticsInterval = statisticsInterval
        self.clientID = clientID
        self.additionalProperties = additionalProperties
        self.abandonedRequestLimit = abandonedRequestLimit
    }

    /// Kafka timeout 5 s (KEDA's admin timeout is 3 s, its dial timeout 30 s);
    /// metadata trusted for 60 s, so a new partition is seen within a minute
    /// while a steady evaluation sends no Metadata request; 30 s socket timeout
    /// with keepalive; reconnect backoff 100 ms up to 2 s; statistics off; a client
    /// with an abandoned admin request is replaced after 30 minutes.
    public static var defaults: Self {
        Self(
            kafkaTimeout: .seconds(5),
            metadataMaxAge: .seconds(60),
            socketTimeout: .seconds(30),
            socketKeepalive: true,
            reconnectBackoff: .milliseconds(100),
            reconnectBackoffMax: .seconds(2),
            statisticsInterval: nil,
            clientID: "keda-kafka-scaler",
            additionalProperties: [:],
            abandonedRequestLimit: .seconds(1800)
        )
    }
}
