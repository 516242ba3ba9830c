public import Foundation

/// A token the operator keeps in the auth profile (`oauthToken`), for identity
/// providers whose tokens another process mints (a sidecar rewriting the Secret): the
/// profile is re-read at a reload or a failure, like every credential.
public struct StaticOAuthTokenSource: OAuthTokenSource {
    /// How long an opaque (non-JWT) token is taken to last: librdkafka asks again
    /// before then and gets the same value.
    public static let opaqueLifetime: TimeInterval = 3600
    /// The principal librdkafka records when the token names none.
    public static let defaultPrincipal = "keda-kafka-scaler"

    private let value: String
    private let extensions: [String: String]

    public init(value: String, extensions: [String: String]) {
        self.value = value
        self.extensions = extensions
    }

    public func token() throws(KafkaLagError) -> OAuthToken {
        let claims = JWTClaims(token: value)
        let expiry = claims?.expiry ?? Date(timeIntervalSinceNow: Self.opaqueLifetime)
        guard expiry > Date() else {
            throw KafkaLagError(.unauthenticated, "the auth profile's oauthToken expired at \(expiry)")
        }
        return OAuthToken(value: value, expiry: expiry, principal: claims?.subject ?? Self.defaultPrincipal, extensions: extensions)
    }
}
