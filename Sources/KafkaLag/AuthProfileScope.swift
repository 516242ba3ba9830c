/// What an auth profile allows a request to do with its credentials, so that a
/// caller naming the profile cannot send them elsewhere (issue 11): which brokers
/// may receive them (`allowedBrokers`), which namespaces may use the profile
/// (`allowedNamespaces`), and that metadata never weakens the profile's transport
/// (`tls`, `sasl`, `ca`, `unsafeSsl`). Every refusal is `permissionDenied`, names
/// the profile and the rule, and holds no secret.
public struct AuthProfileScope: Hashable, Sendable {
    /// The profile files that hold the scope, not Kafka keys.
    public static let brokersKey = "allowedBrokers"
    public static let namespacesKey = "allowedNamespaces"

    public let profile: String
    /// `nil`: the profile names no brokers, so any may receive its credentials.
    public let allowedBrokers: [BrokerPattern]?
    /// `nil`: any namespace; entries may end in `*` (a prefix).
    public let allowedNamespaces: [String]?

    /// Reads the scope files of profile `name`: lists separated by commas, spaces or new lines.
    public init(profile name: String, keys: [String: String]) throws(KafkaLagError) {
        profile = name
        switch keys[Self.brokersKey].map(BrokerPattern.list) {
        case .failure(let invalid):
            throw KafkaLagError(
                .invalidMetadata, "auth profile \(GoSyntax.quote(name)) \(Self.brokersKey): invalid pattern \(GoSyntax.quote(invalid.item))")
        case .success(let patterns):
            allowedBrokers = patterns
        case nil:
            allowedBrokers = nil
        }
        allowedNamespaces = keys[Self.namespacesKey].map(BrokerPattern.items)
    }

    /// Every bootstrap server must match a pattern of `allowedBrokers`.
    public func check(brokers: [String]) throws(KafkaLagError) {
        guard let allowedBrokers, let broker = BrokerPattern.firstOutside(brokers, allowedBrokers) else { return }
        throw denied("bootstrap server \(GoSyntax.quote(broker)) is not in its \(Self.brokersKey)")
    }

    /// The request's namespace must be one of `allowedNamespaces`.
    public func check(namespace: String) throws(KafkaLagError) {
        guard let allowedNamespaces else { return }
        let allowed = allowedNamespaces.contains { pattern in
            pattern.hasSuffix("*") ? namespace.hasPrefix(pattern.dropLast()) : namespace == pattern
        }
        guard allowed else { throw denied("namespace \(GoSyntax.quote(namespace)) is not in its \(Self.namespacesKey)") }
    }

    /// Metadata may repeat what the profile sets for `tls` and `sasl` but not change
    /// it, may not bring its own `ca` when the profile sets `tls`, may not turn on
    /// `unsafeSsl` unless the profile does, and may not pick the token endpoint the
    /// profile's password is sent to.
    public func check(metadata: [String: String], profileKeys: [String: String]) throws(KafkaLagError) {
        func value(_ key: String, _ map: [String: String]) -> String? { TriggerOwnKeys.value(key, in: map) }
        for key in ["tls", "sasl"] {
            if let fixed = value(key, profileKeys), let asked = value(key, metadata), asked != fixed {
                throw denied("it sets \(key) \(GoSyntax.quote(fixed)) and metadata may not change it to \(GoSyntax.quote(asked))")
            }
        }
        if value("tls", profileKeys) != nil, value("ca", metadata) != nil {
            throw denied("it sets tls and metadata may not bring its own ca")
        }
        // The OAuth client secret goes to the token endpoint: a caller choosing the
        // endpoint would receive it.
        if let asked = value("oauthTokenEndpointUri", metadata) {
            let fixed = value("oauthTokenEndpointUri", profileKeys)
            if let fixed, asked != fixed {
                throw denied("it sets oauthTokenEndpointUri and metadata may not change it")
            }
            if fixed == nil, value("password", profileKeys) != nil {
                throw denied("it holds a password and metadata may not choose where it is sent (oauthTokenEndpointUri)")
            }
        }
        func enabled(_ map: [String: String]) -> Bool { value("unsafeSsl", map).flatMap(GoSyntax.parseBool) ?? false }
        if enabled(metadata), !enabled(profileKeys) {
            throw denied("metadata may not turn on unsafeSsl unless the profile does")
        }
    }

    private func denied(_ rule: String) -> KafkaLagError {
        KafkaLagError(.permissionDenied, "auth profile \(GoSyntax.quote(profile)) refused: \(rule)")
    }
}
