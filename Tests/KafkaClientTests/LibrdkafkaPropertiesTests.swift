@testable import KafkaLag
@testable import LibrdkafkaClient
import Testing

@Suite("ConnectionSettings → librdkafka properties")
struct LibrdkafkaPropertiesTests {
    static func make(_ security: SecuritySettings, brokers: [String] = ["b1:9092", "b2:9092"]) throws(KafkaLagError) -> LibrdkafkaProperties {
        try LibrdkafkaProperties.make(
            connection: ConnectionSettings(bootstrapServers: brokers, security: security),
            configuration: .defaults
        )
    }

    static func expectError(_ security: SecuritySettings, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: KafkaLagError.self, sourceLocation: sourceLocation) { try make(security) }
        #expect(error?.code == .invalidMetadata, sourceLocation: sourceLocation)
        #expect(error?.message == message, sourceLocation: sourceLocation)
    }

    @Test("Plaintext: brokers joined, read_uncommitted, statistics off, no security keys")
    func plaintext() throws {
        let properties = try Self.make(SecuritySettings(), brokers: ["b1:9092", "", "b2:9092"])
        #expect(properties["bootstrap.servers"] == "b1:9092,b2:9092")
        #expect(properties["security.protocol"] == "plaintext")
        #expect(properties["isolation.level"] == "read_uncommitted")
        #expect(properties["allow.auto.create.topics"] == "false")
        #expect(properties["statistics.interval.ms"] == "0")
        #expect(properties["socket.timeout.ms"] == "30000")
        #expect(properties["sasl.mechanisms"] == nil)
        #expect(properties["ssl.ca.pem"] == nil)
    }

    @Test(
        "SASL mechanisms and security protocols",
        arguments: [
            (SecuritySettings.SASLMechanism.plaintext, false, "PLAIN", "sasl_plaintext"),
            (.scramSHA256, false, "SCRAM-SHA-256", "sasl_plaintext"),
            (.scramSHA512, true, "SCRAM-SHA-512", "sasl_ssl"),
            (.plaintext, true, "PLAIN", "sasl_ssl"),
        ]
    )
    func sasl(mechanism: SecuritySettings.SASLMechanism, tls: Bool, expected: String, securityProtocol: String) throws {
        let properties = try Self.make(
            SecuritySettings(
                sasl: mechanism, username: "svc", password: "hunter2", tls: tls ? TLSSettings() : nil
            ))
        #expect(properties["sasl.mechanisms"] == expected)
        #expect(properties["sasl.username"] == "svc")
        #expect(properties["sasl.password"] == "hunter2")
        #expect(properties["security.protocol"] == securityProtocol)
    }

    @Test("TLS without SASL is ssl, with PEM material and the key password")
    func tlsMaterial() throws {
        let properties = try Self.make(
            SecuritySettings(
                tls: TLSSettings(
                    caPEM: PEMFixtures.certificate,
                    certPEM: PEMFixtures.certificate,
                    keyPEM: PEMFixtures.encryptedPrivateKey,
                    keyPassword: PEMFixtures.encryptedKeyPassword
                )))
        #expect(properties["security.protocol"] == "ssl")
        #expect(properties["ssl.ca.pem"] == PEMFixtures.certificate)
        #expect(properties["ssl.certificate.pem"] == PEMFixtures.certificate)
        #expect(properties["ssl.key.pem"] == PEMFixtures.encryptedPrivateKey)
        #expect(properties["ssl.key.password"] == PEMFixtures.encryptedKeyPassword)
        #expect(properties["enable.ssl.certificate.verification"] == nil)
    }

    @Test("unsafeSsl turns off certificate and host name verification")
    func unsafeSsl() throws {
        let properties = try Self.make(SecuritySettings(tls: TLSSettings(unsafeSsl: true)))
        #expect(properties["enable.ssl.certificate.verification"] == "false")
        #expect(properties["ssl.endpoint.identification.algorithm"] == "none")
    }

    @Test("OAUTHBEARER names the mechanism only: the client id and secret never reach librdkafka")
    func oauthbearer() throws {
        let properties = try Self.make(
            SecuritySettings(
                sasl: .oauthbearer, username: "client-id", password: "client-secret",
                oauthBearer: OAuthBearerSettings(tokenProvider: .bearer, tokenEndpointURI: "https://idp/token")
            ))
        #expect(properties["sasl.mechanisms"] == "OAUTHBEARER")
        #expect(properties["security.protocol"] == "sasl_plaintext")
        #expect(!properties.entries.contains { $0.value.contains("client-secret") || $0.value.contains("client-id") })
    }

    @Test("GSSAPI: the principal, service name, keytab and kinit command of the process's Kerberos setup")
    func gssapi() throws {
        let security = SecuritySettings(
            sasl: .gssapi, username: "svc",
            gssapi: GSSAPISettings(realm: "EXAMPLE.COM", kerberosConfig: "[libdefaults]", keytab: "AAAA", serviceName: "", disableFAST: false)
        )
        let setup = KerberosEnvironment.Setup(principal: "svc@EXAMPLE.COM", keytabPath: "/tmp/k/client.keytab", kinitCommand: "kinit -k")
        let properties = try LibrdkafkaProperties.make(
            connection: ConnectionSettings(bootstrapServers: ["b:9092"], security: security), configuration: .defaults, kerberos: setup
        )
        #expect(properties["sasl.mechanisms"] == "GSSAPI")
        #expect(properties["sasl.kerberos.service.name"] == "kafka")
        #expect(properties["sasl.kerberos.principal"] == "svc@EXAMPLE.COM")
        #expect(properties["sasl.kerberos.keytab"] == "/tmp/k/client.keytab")
        #expect(properties["sasl.kerberos.kinit.cmd"] == "kinit -k")
        #expect(throws: KafkaLagError.self) { try Self.make(security) }
    }

    @Test("Missing credentials are invalid metadata")
    func invalidSASL() {
        Self.expectError(SecuritySettings(sasl: .plaintext, password: "p"), "no username given for sasl=plaintext")
        Self.expectError(SecuritySettings(sasl: .scramSHA256, username: "u", password: ""), "no password given for sasl=scram_sha256")
    }

    @Test("No usable bootstrap server")
    func noBrokers() {
        let error = #expect(throws: KafkaLagError.self) { try Self.make(SecuritySettings(), brokers: ["", ""]) }
        #expect(error?.code == .invalidMetadata)
    }

    @Test(
        "A bad PEM names its key, never its content",
        arguments: [
            ("ca", TLSSettings(caPEM: "not a pem at all")),
            ("ca", TLSSettings(caPEM: PEMFixtures.privateKey)),
            ("cert", TLSSettings(certPEM: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----", keyPEM: PEMFixtures.privateKey)),
            ("key", TLSSettings(certPEM: PEMFixtures.certificate, keyPEM: "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n")),
            ("key", TLSSettings(certPEM: PEMFixtures.certificate, keyPEM: PEMFixtures.certificate)),
        ]
    )
    func badPEM(key: String, tls: TLSSettings) {
        let error = #expect(throws: KafkaLagError.self) { try Self.make(SecuritySettings(tls: tls)) }
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == "\(key) is not valid PEM")
        #expect(error?.description.contains("TOPSECRET") == false)
    }

    @Test("cert and key go together")
    func certNeedsKey() {
        Self.expectError(SecuritySettings(tls: TLSSettings(certPEM: PEMFixtures.certificate)), "key must be provided with cert")
        Self.expectError(SecuritySettings(tls: TLSSettings(keyPEM: PEMFixtures.privateKey)), "cert must be provided with key")
    }

    @Test("Secrets appear in the entries only, never in any description")
    func secretsAreMasked() throws {
        var configuration = KafkaClientConfiguration.defaults
        configuration.additionalProperties = ["ssl.keystore.password": "keystore-secret"]
        let properties = try LibrdkafkaProperties.make(
            connection: ConnectionSettings(
                bootstrapServers: ["b1:9092"],
                security: SecuritySettings(
                    sasl: .scramSHA512, username: "svc", password: "hunter2",
                    tls: TLSSettings(
                        certPEM: PEMFixtures.certificate, keyPEM: PEMFixtures.encryptedPrivateKey,
                        keyPassword: PEMFixtures.encryptedKeyPassword)
                )
            ),
            configuration: configuration
        )
        #expect(properties["ssl.keystore.password"] == "keystore-secret")
        var dumped = ""
        dump(properties, to: &dumped)
        for text in [properties.description, properties.debugDescription, String(reflecting: properties), "\(properties)", dumped] {
            for secret in ["hunter2", PEMFixtures.encryptedKeyPassword, "keystore-secret", "ENCRYPTED PRIVATE KEY"] {
                #expect(!text.contains(secret), "\(secret) leaked")
            }
            #expect(text.contains("sasl.password=<redacted>"))
        }
    }
}
