public import KafkaLag
public import LibrdkafkaClient
public import Logging
public import ScalerRegistry

/// Opens one librdkafka client per pooled connection.
public struct LibrdkafkaReaderFactory: KafkaReaderFactory {
    private let configuration: KafkaClientConfiguration
    private let logger: Logger
    /// Shared by every connection, so assumed roles are cached once.
    private let roles: STSRoleAssumer

    /// Clients use `configuration`, with librdkafka statistics every
    /// `statisticsInterval` (they feed `kafka_scaler_kafka_requests_total`).
    public init(configuration: KafkaClientConfiguration, statisticsInterval: Duration = .seconds(15), logger: Logger) {
        var configuration = configuration
        configuration.statisticsInterval = statisticsInterval
        self.configuration = configuration
        self.logger = logger
        self.roles = STSRoleAssumer(timeout: configuration.kafkaTimeout)
    }

    /// Opens the client on a thread of its own: `rd_kafka_new` starts threads and resolves
    /// names, and must not hold a thread of the cooperative pool.
    public func makeReader(for settings: ConnectionSettings) async throws(KafkaLagError) -> any KafkaReader {
        var logger = logger
        logger[metadataKey: "kafka.connection"] = "\(settings.fingerprint)"
        let (configuration, tokens) = (configuration, try tokenSource(for: settings.security))
        return try await BlockingCalls.run { [logger] in
            Result { () throws(KafkaLagError) in
                try KafkaClient(connection: settings, configuration: configuration, tokens: tokens, logger: logger) as any KafkaReader
            }
        }.get()
    }

    /// The OAUTHBEARER token source of `security`, nil for other mechanisms.
    private func tokenSource(for security: SecuritySettings) throws(KafkaLagError) -> (any OAuthTokenSource)? {
        guard security.sasl == .oauthbearer, let oauth = security.oauthBearer else { return nil }
        switch oauth.tokenProvider {
        case .bearer:
            if let token = oauth.staticToken { return StaticOAuthTokenSource(value: token, extensions: oauth.extensions) }
            return try ClientCredentialsTokenSource(
                settings: oauth, clientID: security.username ?? "", clientSecret: security.password ?? "",
                timeout: configuration.kafkaTimeout
            )
        case .awsMSKIAM:
            guard let credentials = oauth.awsCredentials else {
                throw KafkaLagError(.invalidMetadata, "error getting AWS authorization: no AWS credentials given")
            }
            return MSKIAMTokenSource(region: oauth.awsRegion, credentials: credentials, roles: roles)
        case .unrecognized(let name):
            // KEDA accepts such a list and then has no token provider: the client fails.
            throw KafkaLagError(.invalidMetadata, "saslTokenProvider=\(name) names no single token provider; use bearer or aws_msk_iam")
        }
    }
}

extension KafkaClient: KafkaReader {}
