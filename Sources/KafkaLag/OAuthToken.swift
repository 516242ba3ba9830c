public import Foundation

/// One SASL/OAUTHBEARER token as librdkafka takes it: the value, when it expires,
/// the principal it names, and the SASL extensions sent with it.
public struct OAuthToken: Sendable, Hashable {
    /// The bearer token. A secret.
    public var value: String
    /// When the token expires (wall clock): librdkafka asks for a new one at 80% of
    /// the time left, so connections never present an expired token.
    public var expiry: Date
    /// The principal librdkafka records for the token (the JWT `sub` when there is one).
    public var principal: String
    /// `oauthExtensions`, sent with every authentication.
    public var extensions: [String: String]

    public init(value: String, expiry: Date, principal: String, extensions: [String: String] = [:]) {
        self.value = value
        self.expiry = expiry
        self.principal = principal
        self.extensions = extensions
    }
}

extension OAuthToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "OAuthToken(principal: \(principal), expiry: \(expiry), value: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
