@testable import KafkaLag
import Testing

/// Source fingerprints and redacted descriptions: stable across processes,
/// sensitive to every setting, and free of secrets.
@Suite("Fingerprints and redaction")
struct FingerprintTests {
    static let secrets = ["hunter2-password", "-----BEGIN PRIVATE KEY-----secret", "key-pass-phrase", "client-secret-value", "AKIA-SECRET-ACCESS"]

    static func source(password: String = "hunter2-password", topic: String = "orders") -> Source {
        Source(
            connection: ConnectionSettings(
                bootstrapServers: ["b1:9093", "b2:9093"],
                security: SecuritySettings(
                    sasl: .scramSHA512, username: "svc", password: password,
                    tls: TLSSettings(
                        caPEM: "CA-PEM", certPEM: "CERT-PEM", keyPEM: "-----BEGIN PRIVATE KEY-----secret", keyPassword: "key-pass-phrase")
                )
            ),
            consumerGroup: "billing", topic: topic
        )
    }

    @Test(
        "SHA-256 matches the FIPS 180-4 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ])
    func sha256(message: String, digest: String) {
        #expect(SHA256.hex(SHA256.digest(Array(message.utf8))) == digest)
    }

    @Test("HMAC-SHA-256 matches RFC 4231 test cases 1 and 2")
    func hmac() {
        #expect(
            SHA256.hex(SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("under one key the fingerprint is pinned in every process and build; another key gives another")
    func pinned() {
        let key = Array("a shared fingerprint key of 32 b".utf8)
        #expect(Self.source().fingerprint(key: key) == Self.source().fingerprint(key: key))
        #expect(Self.source().fingerprint(key: key) == "1c0fd041839f740d")
        #expect(Self.source().fingerprint(key: key) != Self.source().fingerprint(key: Array("another fingerprint key, 32 byte".utf8)))
        #expect(Self.source().fingerprint(key: key) != Self.unkeyed, "no longer the unsalted SHA-256 anyone can recompute")
        #expect(Self.source().fingerprint != Self.unkeyed)
        #expect(Self.source().connection.fingerprint.count == 16)
    }

    /// The unkeyed fingerprint this source had before fingerprints were keyed.
    static let unkeyed = "24d48b4873d6990b"

    @Test("a fingerprint key shorter than 16 bytes is refused")
    func shortKey() {
        #expect(throws: KafkaLagError.self) { try FingerprintKey.use(Array("too short".utf8)) }
    }

    @Test("equal sources share a fingerprint; any change gives a new one")
    func sensitivity() {
        let base = Self.source()
        #expect(base.fingerprint == Self.source().fingerprint)
        var variants = [Self.source(password: "other"), Self.source(topic: "payments")]
        var group = base
        group.consumerGroup = "other"
        var brokers = base
        brokers.connection.bootstrapServers = ["b1:9093"]
        var unsafe = base
        unsafe.connection.security.tls?.unsafeSsl = true
        var noTLS = base
        noTLS.connection.security.tls = nil
        variants += [group, brokers, unsafe, noTLS]
        let fingerprints = Set(variants.map(\.fingerprint) + [base.fingerprint])
        #expect(fingerprints.count == variants.count + 1)
        // The connection fingerprint ignores group and topic: it is the pool key's.
        #expect(group.connection.fingerprint == base.connection.fingerprint)
        #expect(Self.source(password: "other").connection.fingerprint != base.connection.fingerprint)
    }

    @Test("descriptions show the settings but never a secret")
    func redaction() throws {
        var source = Self.source()
        source.connection.security.oauthBearer = OAuthBearerSettings(
            tokenProvider: .awsMSKIAM, awsRegion: "eu-west-1",
            awsCredentials: .staticKeys(accessKeyID: "AKIA-ID", secretAccessKey: "AKIA-SECRET-ACCESS", sessionToken: nil)
        )
        let trigger = KafkaTrigger(source: source, scaling: .defaults)
        let texts = [
            source.description, source.debugDescription, String(describing: source), String(reflecting: source),
            String(describing: trigger), String(reflecting: trigger), source.connection.description,
            "\(source.connection.security)", source.fingerprint,
        ]
        for text in texts {
            for secret in Self.secrets {
                #expect(!text.contains(secret), "\(text) leaks a secret")
            }
        }
        #expect(source.description.contains("b1:9093,b2:9093"))
        #expect(source.description.contains("scram_sha512"))
        #expect(source.description.contains("password: <redacted>"))
        #expect(source.description.contains(source.fingerprint))
    }

    @Test("a parsed trigger's description leaks none of its profile's credentials")
    func parsedRedaction() throws {
        let trigger = try KafkaTrigger(
            metadata: ["bootstrapServers": "b:9092", "consumerGroup": "g", "topic": "t", "sasl": "oauthbearer"],
            profile: [
                "username": "client-id", "password": "client-secret-value", "oauthTokenEndpointUri": "https://idp/token",
                "oauthExtensions": "logicalCluster=client-secret-value",
            ]
        )
        let text = String(describing: trigger)
        #expect(!text.contains("client-secret-value"))
        #expect(text.contains("https://idp/token"))
    }
}
