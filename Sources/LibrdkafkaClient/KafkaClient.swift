public import KafkaLag
public import Logging

/// One pooled Kafka connection (one librdkafka handle) serving every
/// ``Source`` with equal ``ConnectionSettings``. The registry creates one per
/// pool key and closes it when the last entry lets go.
public final class KafkaClient: Sendable {
    private let connection: ConnectionSettings
    private let configuration: KafkaClientConfiguration
    private let handle: KafkaHandle
    private let reader: ObservationAssembly<LibrdkafkaQueries>

    /// Connects lazily: no request is sent before the first ``observe(_:deadline:)``.
    ///
    /// - Throws: `invalidMetadata` when the settings cannot make a client
    ///   (unsupported SASL mechanism, malformed PEM, …).
    ///   `tokens` must be given exactly when the connection uses SASL/OAUTHBEARER.
    public init(
        connection: ConnectionSettings,
        configuration: KafkaClientConfiguration = .defaults,
        tokens: (any OAuthTokenSource)? = nil,
        logger: Logger
    ) throws(KafkaLagError) {
        let security = connection.security
        let kerberos = try security.gssapi.map { gssapi throws(KafkaLagError) in
            try KerberosEnvironment.shared.prepare(gssapi, username: security.username ?? "", password: security.password)
        }
        let properties = try LibrdkafkaProperties.make(connection: connection, configuration: configuration, kerberos: kerberos)
        if connection.security.sasl == .oauthbearer, tokens == nil {
            throw KafkaLagError(
                .invalidMetadata, "sasl=oauthbearer needs a token source: \(connection.security.oauthBearer?.tokenProvider.name ?? "none") gives none"
            )
        }
        self.connection = connection
        self.configuration = configuration
        self.handle = try KafkaHandle(properties: properties, tokens: tokens, logger: logger)
        self.reader = ObservationAssembly(
            queries: LibrdkafkaQueries(handle: handle, cache: TopicMetadataCache(maxAge: configuration.metadataMaxAge))
        )
    }

    deinit {
        handle.closeDetached()
    }

    /// Reads the committed and log-end offsets of `source` in one round:
    /// one OffsetFetch plus one ListOffsets per partition leader, concurrently.
    ///
    /// - Parameter deadline: the caller's deadline; never later than the
    ///   configured Kafka timeout from now.
    /// - Throws: `unavailable`, `timedOut`, `unauthenticated`,
    ///   `permissionDenied` or `failedPrecondition` (DESIGN.md §4).
    public func observe(_ source: Source, deadline: ContinuousClock.Instant? = nil) async throws(KafkaLagError) -> Observation {
        guard source.connection == connection else {
            throw KafkaLagError(.internalError, "source of group \(source.consumerGroup) belongs to another Kafka connection")
        }
        let ownDeadline = ContinuousClock.now.advanced(by: configuration.kafkaTimeout)
        let effective = deadline.map { min($0, ownDeadline) } ?? ownDeadline
        let observation = try await handle.withLease { () async throws(KafkaLagError) in
            try await reader.observe(source, deadline: effective)
        }
        handle.markHealthy()
        return observation
    }

    /// True once an admin request this client abandoned may have run for
    /// ``KafkaClientConfiguration/abandonedRequestLimit``: the pool must close this
    /// client (and open a new one) before librdkafka's own timer for it fires.
    public var needsReplacement: Bool {
        guard let since = handle.abandonedRequestSince else { return false }
        return since.duration(to: .now) >= configuration.abandonedRequestLimit
    }

    /// Closes the connection once observations in flight have finished; no
    /// librdkafka thread or socket remains when this returns.
    public func close() async {
        await handle.close()
    }

    /// The next librdkafka statistics snapshot (request counters per broker), or
    /// `nil` when statistics are off or the client is closed.
    public func nextStatistics() async -> KafkaStatistics? {
        guard configuration.statisticsInterval != nil else { return nil }
        return await handle.nextStatistics()
    }
}
