import Foundation
import KafkaLag
import Testing

/// Auth profiles: precedence against metadata (KEDA ≥ 2.20's TriggerAuthentication
/// rules) and the directory layout of a mounted Kubernetes Secret.
@Suite("Auth profiles")
struct AuthProfileTests {
    static let base = ["bootstrapServers": "b:9092", "consumerGroup": "g", "topic": "t"]

    @Test("tls, sasl and saslTokenProvider: a metadata value wins over the profile")
    func metadataWinsForModes() throws {
        let profile = [
            "tls": "enable", "sasl": "plaintext", "saslTokenProvider": "aws_msk_iam", "username": "u", "password": "p",
            "oauthTokenEndpointUri": "https://idp/token",
        ]
        let trigger = try KafkaTrigger(
            metadata: Self.base.merging(["tls": "disable", "sasl": "oauthbearer", "saslTokenProvider": "bearer"]) { $1 },
            profile: profile
        )
        let security = trigger.source.connection.security
        #expect(security.tls == nil)
        #expect(security.sasl == .oauthbearer)
        #expect(security.oauthBearer?.tokenProvider == .bearer)

        let fromProfile = try KafkaTrigger(metadata: Self.base, profile: ["tls": "enable", "sasl": "scram_sha256", "username": "u", "password": "p"])
        #expect(fromProfile.source.connection.security.tls != nil)
        #expect(fromProfile.source.connection.security.sasl == .scramSHA256)
    }

    @Test("credentials come from the profile, and from metadata only where the profile lacks them")
    func credentialPrecedence() throws {
        let metadata = Self.base.merging(["sasl": "plaintext", "username": "meta-user", "password": "meta-pass"]) { $1 }
        let both = try KafkaTrigger(metadata: metadata, profile: ["username": "profile-user", "password": "profile-pass"])
        #expect(both.source.connection.security.username == "profile-user")
        #expect(both.source.connection.security.password == "profile-pass")

        let partial = try KafkaTrigger(metadata: metadata, profile: ["username": "profile-user"])
        #expect(partial.source.connection.security.username == "profile-user")
        #expect(partial.source.connection.security.password == "meta-pass")

        let fromEnv = try KafkaTrigger(
            metadata: Self.base.merging(["sasl": "plaintext", "usernameFromEnv": "env-user", "passwordFromEnv": "env-pass"]) { $1 },
            profile: [:]
        )
        #expect(fromEnv.source.connection.security.username == "env-user")
        #expect(fromEnv.source.connection.security.password == "env-pass")
    }

    @Test("credentials only reach the source when their mode is on")
    func unusedCredentialsAreDropped() throws {
        let trigger = try KafkaTrigger(metadata: Self.base, profile: ["username": "u", "password": "p", "ca": "CA", "key": "K"])
        #expect(trigger.source.connection.security == SecuritySettings())
    }

    @Test("a profile that does not exist is invalid metadata naming it")
    func notFound() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let directory = AuthProfileDirectory(root: root.path)
        for name in ["missing", "../etc", ".hidden", "a/b"] {
            let error = #expect(throws: KafkaLagError.self) {
                try KafkaTrigger(metadata: Self.base.merging(["authProfile": name]) { $1 }, authProfiles: directory)
            }
            #expect(error?.code == .invalidMetadata)
            #expect(error?.message == "auth profile \"\(name)\" not found")
        }
        let unconfigured = #expect(throws: KafkaLagError.self) {
            try AuthProfileDirectory(root: nil).profile(named: "any")
        }
        #expect(unconfigured?.message == "auth profile \"any\" not found")
        try root.write("plain-file", "not a directory")
        #expect(throws: KafkaLagError.self) { try directory.profile(named: "plain-file") }
    }

    @Test("a mounted Secret: symlinks into ..data are followed, dot entries and directories skipped, values trimmed")
    func mountedSecretLayout() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try root.makeDirectory("kafka/..2026_11_27_04_00_00.123")
        try root.write("kafka/..2026_11_27_04_00_00.123/username", "svc-user\n")
        try root.write("kafka/..2026_11_27_04_00_00.123/password", "  s3cret \n")
        try root.write("kafka/..2026_11_27_04_00_00.123/sasl", "scram_sha512")
        try root.symlink("kafka/..data", to: "..2026_11_27_04_00_00.123")
        for key in ["username", "password", "sasl"] {
            try root.symlink("kafka/\(key)", to: "..data/\(key)")
        }
        try root.write("kafka/.hidden", "ignored")
        try root.write("kafka/blank", "   \n")
        try root.write("kafka/empty", "")  // Fuzz/AuthProfileFuzzer: Data(contentsOf:) leaked 4 KiB per empty file
        try root.makeDirectory("kafka/nested")

        let directory = AuthProfileDirectory(root: root.path)
        #expect(try directory.profile(named: "kafka") == ["username": "svc-user", "password": "s3cret", "sasl": "scram_sha512"])

        let trigger = try KafkaTrigger(metadata: Self.base.merging(["authProfile": " kafka "]) { $1 }, authProfiles: directory)
        #expect(trigger.authProfile == "kafka")
        #expect(trigger.source.connection.security.sasl == .scramSHA512)
        #expect(trigger.source.connection.security.username == "svc-user")
        #expect(trigger.source.connection.security.password == "s3cret")
    }

    @Test("unreadable values are refused naming the key, never showing the content")
    func badFiles() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try root.makeDirectory("binary")
        try root.write("binary/password", bytes: [0xFF, 0xFE, 0x00, 0x80])
        let binary = #expect(throws: KafkaLagError.self) { try AuthProfileDirectory(root: root.path).profile(named: "binary") }
        #expect(binary?.message == "auth profile \"binary\" key \"password\" is not UTF-8 text")
        // A keytab is binary by nature (as in KEDA): kept as base64, byte for byte.
        try root.makeDirectory("kerberos")
        try root.write("kerberos/keytab", bytes: [0x05, 0x02, 0xFF, 0x00, 0x0A])
        #expect(try AuthProfileDirectory(root: root.path).profile(named: "kerberos")["keytab"] == "BQL/AAo=")

        try root.makeDirectory("large")
        try root.write("large/ca", String(repeating: "x", count: 100))
        let large = #expect(throws: KafkaLagError.self) {
            try AuthProfileDirectory(root: root.path, maximumFileSize: 64).profile(named: "large")
        }
        #expect(large?.message == "auth profile \"large\" key \"ca\" is larger than 64 bytes")
        #expect(large?.message.contains("xxxx") == false)
    }

    @Test("a file readable by others is refused naming the profile, key and mode, unless allowed; group-readable is fine")
    func readableByOthers() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try root.makeDirectory("p")
        try root.write("p/username", "svc", mode: 0o440)
        try root.write("p/password", "s3cret", mode: 0o644)
        let error = #expect(throws: KafkaLagError.self) { try AuthProfileDirectory(root: root.path).profile(named: "p") }
        #expect(error?.code == .failedPrecondition)
        #expect(
            error?.message
                == #"auth profile "p" key "password" is readable by others (mode 644): mount the Secret with defaultMode 0400, or start with --allow-readable-profiles true"#
        )
        #expect(error?.message.contains("s3cret") == false)
        #expect(try AuthProfileDirectory(root: root.path, allowReadableByOthers: true).profile(named: "p")["password"] == "s3cret")
        try root.write("p/password", "s3cret", mode: 0o400)
        #expect(try AuthProfileDirectory(root: root.path).profile(named: "p") == ["username": "svc", "password": "s3cret"])
    }

    @Test("rotated files are read again on the next parse")
    func rereadsOnEveryCall() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try root.makeDirectory("p")
        try root.write("p/password", "old")
        let directory = AuthProfileDirectory(root: root.path)
        #expect(try directory.profile(named: "p")["password"] == "old")
        try root.write("p/password", "new")
        #expect(try directory.profile(named: "p")["password"] == "new")
    }
}

/// A scratch directory under the system temporary directory, removed by the test.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "kafkalag-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relative, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String, mode: Int = 0o600) throws {
        try write(relative, bytes: Array(text.utf8), mode: mode)
    }

    /// Writes a file readable by its owner only, as a Secret mounted with defaultMode 0400.
    func write(_ relative: String, bytes: [UInt8], mode: Int = 0o600) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + relative))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path + "/" + relative)
    }

    func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: destination)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
