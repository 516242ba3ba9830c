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
        if let text = keys[Self.brokersKey] {
            var patterns: [BrokerPattern] = []
            for item in Self.items(text) {
                guard let pattern = BrokerPattern(item) else {
                    throw KafkaLagError(.invalidMetadata, "auth profile \(GoSyntax.quote(name)) \(Self.brokersKey): invalid pattern \(GoSyntax.quote(item))")
                }
                patterns.append(pattern)
            }
            allowedBrokers = patterns
        } else {
            allowedBrokers = nil
        }
        allowedNamespaces = keys[Self.namespacesKey].map(Self.items)
    }

    private static func items(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    /// Every bootstrap server must match a pattern of `allowedBrokers`.
    public func check(brokers: [String]) throws(KafkaLagError) {
        guard let allowedBrokers else { return }
        for broker in brokers where !allowedBrokers.contains(where: { $0.matches(broker) }) {
            throw denied("bootstrap server \(GoSyntax.quote(broker)) is not in its \(Self.brokersKey)")
        }
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
    /// it, may not bring its own `ca` when the profile sets `tls`, and may not turn
    /// on `unsafeSsl` unless the profile does.
    public func check(metadata: [String: String], profileKeys: [String: String]) throws(KafkaLagError) {
        func value(_ key: String, _ map: [String: String]) -> String? {
            map[key].map(GoSyntax.trimSpace).flatMap { $0.isEmpty ? nil : $0 }
        }
        for key in ["tls", "sasl"] {
            if let fixed = value(key, profileKeys), let asked = value(key, metadata), asked != fixed {
                throw denied("it sets \(key) \(GoSyntax.quote(fixed)) and metadata may not change it to \(GoSyntax.quote(asked))")
            }
        }
        if value("tls", profileKeys) != nil, value("ca", metadata) != nil {
            throw denied("it sets tls and metadata may not bring its own ca")
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
