import KafkaLag
import Testing

@Suite("Broker patterns: host[:port], *.suffix, any port without one")
struct BrokerPatternTests {
    @Test(
        "matches",
        arguments: [
            ("kafka-0.kafka:9093", "kafka-0.kafka:9093", true),
            ("kafka-0.kafka", "KAFKA-0.kafka:1234", true),
            ("*.kafka.svc.cluster.local:9093", "b-1.kafka.svc.cluster.local:9093", true),
            ("*.kafka.svc.cluster.local:9093", "b-1.kafka.svc.cluster.local:9092", false),
            ("*.kafka.svc.cluster.local", "kafka.svc.cluster.local:9093", false),
            ("*.kafka.svc.cluster.local", "evil-kafka.svc.cluster.local:9093", false),
            ("*.kafka.svc.cluster.local", "b.kafka.svc.cluster.local.evil.com:9093", false),
            ("127.0.0.1", "127.0.0.1:9092", true),
            ("127.0.0.1:9092", "127.0.0.10:9092", false),
            ("[::1]:9092", "[::1]:9092", true),
            ("kafka:9092", "kafka", false),
        ])
    func matches(pattern: String, broker: String, expected: Bool) throws {
        let parsed = try #require(BrokerPattern(pattern))
        #expect(parsed.matches(broker) == expected)
    }

    @Test("rejects", arguments: ["", "*.", "a*b.example", ":9092", "host:0", "host:70000"])
    func rejects(pattern: String) {
        #expect(BrokerPattern(pattern) == nil)
    }
}

@Suite("Auth profile scope: brokers, namespaces, transport")
struct AuthProfileScopeTests {
    let keys = [
        "password": "s3cret", "sasl": "scram_sha512", "tls": "enable",
        AuthProfileScope.brokersKey: "*.kafka.svc:9093,\nkafka-0.other:9093",
        AuthProfileScope.namespacesKey: "team-a team-b*",
    ]

    @Test("without scope files anything goes")
    func unscoped() throws {
        let scope = try AuthProfileScope(profile: "p", keys: ["password": "x"])
        try scope.check(brokers: ["anywhere:1"])
        try scope.check(namespace: "any")
    }

    @Test("brokers outside allowedBrokers are refused, naming the profile, the rule and the broker, never the secret")
    func brokers() throws {
        let scope = try AuthProfileScope(profile: "prod", keys: keys)
        try scope.check(brokers: ["b-0.kafka.svc:9093", "kafka-0.other:9093"])
        let error = #expect(throws: KafkaLagError.self) { try scope.check(brokers: ["b-0.kafka.svc:9093", "attacker:9092"]) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == #"auth profile "prod" refused: bootstrap server "attacker:9092" is not in its allowedBrokers"#)
    }

    @Test("namespaces: exact or prefix*")
    func namespaces() throws {
        let scope = try AuthProfileScope(profile: "prod", keys: keys)
        try scope.check(namespace: "team-a")
        try scope.check(namespace: "team-b-payments")
        #expect(throws: KafkaLagError(.permissionDenied, #"auth profile "prod" refused: namespace "team-ab" is not in its allowedNamespaces"#)) {
            try scope.check(namespace: "team-ab")
        }
    }

    @Test(
        "metadata may repeat the profile's transport but not weaken it",
        arguments: [
            (["tls": "disable"], #"it sets tls "enable" and metadata may not change it to "disable""#),
            (["tls": "enable,disable"], #"it sets tls "enable" and metadata may not change it to "enable,disable""#),
            (["sasl": "plaintext"], #"it sets sasl "scram_sha512" and metadata may not change it to "plaintext""#),
            (["ca": "PEM"], "it sets tls and metadata may not bring its own ca"),
            (["unsafeSsl": "1"], "metadata may not turn on unsafeSsl unless the profile does"),
            (
                ["oauthTokenEndpointUri": "https://attacker/token"],
                "it holds a password and metadata may not choose where it is sent (oauthTokenEndpointUri)"
            ),
        ])
    func transport(metadata: [String: String], rule: String) throws {
        let scope = try AuthProfileScope(profile: "prod", keys: keys)
        try scope.check(metadata: ["tls": " enable ", "sasl": "scram_sha512", "unsafeSsl": "false"], profileKeys: keys)
        #expect(throws: KafkaLagError(.permissionDenied, #"auth profile "prod" refused: "# + rule)) {
            try scope.check(metadata: metadata, profileKeys: keys)
        }
    }

    @Test("metadata may repeat the profile's token endpoint but not move it")
    func tokenEndpoint() throws {
        let oauth = keys.merging(["oauthTokenEndpointUri": "https://idp/token"]) { $1 }
        let scope = try AuthProfileScope(profile: "prod", keys: oauth)
        try scope.check(metadata: ["oauthTokenEndpointUri": "https://idp/token"], profileKeys: oauth)
        #expect(
            throws: KafkaLagError(.permissionDenied, #"auth profile "prod" refused: it sets oauthTokenEndpointUri and metadata may not change it"#)
        ) {
            try scope.check(metadata: ["oauthTokenEndpointUri": "https://attacker/token"], profileKeys: oauth)
        }
        // A profile without a password has nothing to send: metadata may name the endpoint.
        try scope.check(metadata: ["oauthTokenEndpointUri": "https://idp/token"], profileKeys: ["sasl": "oauthbearer"])
    }

    @Test("an invalid allowedBrokers pattern makes the profile invalid")
    func invalidPattern() {
        #expect(throws: KafkaLagError(.invalidMetadata, #"auth profile "p" allowedBrokers: invalid pattern "*.""#)) {
            try AuthProfileScope(profile: "p", keys: [AuthProfileScope.brokersKey: "ok:1 *."])
        }
    }

    @Test("a trigger naming a scoped profile is refused before parsing finishes, and carries its scope")
    func throughTheTrigger() throws {
        let profile = ["username": "u", "password": "s3cret", "sasl": "plaintext", AuthProfileScope.brokersKey: "good:9092"]
        let metadata = ["bootstrapServers": "good:9092", "consumerGroup": "g", "topic": "t", "authProfile": "prod"]
        let trigger = try KafkaTrigger(metadata: metadata, profile: profile)
        #expect(trigger.profileScope?.allowedBrokers == [BrokerPattern("good:9092")!])
        let error = #expect(throws: KafkaLagError.self) {
            try KafkaTrigger(metadata: metadata.merging(["bootstrapServers": "evil:9092"]) { $1 }, profile: profile)
        }
        #expect(error?.code == .permissionDenied)
    }
}
