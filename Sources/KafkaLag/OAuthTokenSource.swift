/// Where a connection's OAUTHBEARER tokens come from. librdkafka asks for a token when
/// the connection opens and again before the current one expires; the source answers
/// off librdkafka's threads, so it may take its time (an HTTP round trip, a signature).
public protocol OAuthTokenSource: Sendable {
    /// A token valid from now on, or an error that explains (without a secret) why
    /// there is none: the connection then fails with it.
    func token() async throws(KafkaLagError) -> OAuthToken
}
