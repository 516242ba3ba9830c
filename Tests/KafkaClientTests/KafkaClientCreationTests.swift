import KafkaLag
import LibrdkafkaClient
import Logging
import Testing

/// Creating a client validates settings with librdkafka and OpenSSL, without any I/O.
@Suite("KafkaClient creation")
struct KafkaClientCreationTests {
    static func client(_ security: SecuritySettings) async throws(KafkaLagError) {
        let client = try KafkaClient(
            connection: ConnectionSettings(bootstrapServers: ["127.0.0.1:1"], security: security),
            logger: ClusterFixture.logger
        )
        await client.close()
    }

    @Test("Valid TLS material, encrypted key included, is accepted by librdkafka")
    func validTLS() async throws {
        try await Self.client(
            SecuritySettings(
                sasl: .scramSHA256, username: "svc", password: "hunter2",
                tls: TLSSettings(
                    caPEM: PEMFixtures.certificate, certPEM: PEMFixtures.certificate,
                    keyPEM: PEMFixtures.encryptedPrivateKey, keyPassword: PEMFixtures.encryptedKeyPassword)
            ))
    }

    @Test("PEM that is well formed but not a certificate is rejected, naming the key")
    func garbageCertificate() async {
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END CERTIFICATE-----\n"
        let error = await #expect(throws: KafkaLagError.self) {
            try await Self.client(SecuritySettings(tls: TLSSettings(caPEM: garbage)))
        }
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message.hasPrefix("ca ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("AAAA") == false)
    }

    @Test("A wrong key password is rejected without showing it")
    func wrongKeyPassword() async {
        let error = await #expect(throws: KafkaLagError.self) {
            try await Self.client(
                SecuritySettings(
                    tls: TLSSettings(
                        certPEM: PEMFixtures.certificate, keyPEM: PEMFixtures.encryptedPrivateKey, keyPassword: "wrong-password"
                    )))
        }
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message.contains("wrong-password") == false)
    }

    @Test("an OAUTHBEARER connection without a token source is refused before librdkafka starts")
    func noTokenSource() throws {
        let metadata = ["bootstrapServers": "b:9092", "consumerGroup": "g", "topic": "t", "sasl": "oauthbearer"]
        let source = try KafkaTrigger(metadata: metadata, profile: ["oauthToken": "tok"]).source
        let error = #expect(throws: KafkaLagError.self) {
            try KafkaClient(connection: source.connection, logger: ClusterFixture.logger)
        }
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message.contains("needs a token source") == true)
    }
}
