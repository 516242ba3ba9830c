import Foundation
import KafkaLag
import Testing
@testable import ScalerRegistry

@Suite("Trigger resolver: parse cache and auth-profile reads")
struct TriggerResolverTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kks-profiles-\(UUID().uuidString)")

    func writeProfile(_ name: String, _ values: [String: String]) throws {
        let directory = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (key, value) in values {
            let file = directory.appendingPathComponent(key)
            try value.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
    }

    let metadata = [
        "bootstrapServers": "a:9092", "consumerGroup": "orders", "topic": "orders",
        "sasl": "plaintext", "authProfile": "kafka",
    ]

    @Test("profile files are read once, then again only on re-resolution")
    func profileRereadOnlyOnReResolve() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try writeProfile("kafka", ["username": "scaler", "password": "old"])
        let resolver = TriggerResolver(directory: AuthProfileDirectory(root: root.path))
        let first = try resolver.trigger(for: metadata)
        #expect(first.source.connection.security.password == "old")

        try writeProfile("kafka", ["username": "scaler", "password": "rotated"])
        #expect(try resolver.trigger(for: metadata).source == first.source, "no re-read before a failure or reload")
        let generation = resolver.generation
        let reResolved = try resolver.reResolve(metadata, namespace: "ns")
        #expect(reResolved.connection.security.password == "rotated")
        #expect(resolver.generation > generation, "triggers resolved before the re-read are known to be older")
        #expect(try resolver.trigger(for: metadata).source == reResolved, "later requests see the re-read profile")
    }

    @Test("a missing profile is INVALID_ARGUMENT and is found once it exists")
    func missingProfile() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let resolver = TriggerResolver(directory: AuthProfileDirectory(root: root.path))
        #expect(throws: KafkaLagError(.invalidMetadata, #"auth profile "kafka" not found"#)) { try resolver.trigger(for: metadata) }
        try writeProfile("kafka", ["username": "scaler", "password": "pw"])
        #expect(try resolver.trigger(for: metadata).source.connection.security.username == "scaler")
    }

    @Test("re-resolution re-reads the scope: a namespace the profile no longer allows is refused")
    func reResolutionChecksTheNamespace() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try writeProfile("kafka", ["username": "scaler", "password": "pw", AuthProfileScope.namespacesKey: "team-a"])
        let resolver = TriggerResolver(directory: AuthProfileDirectory(root: root.path))
        _ = try resolver.trigger(for: metadata, namespace: "team-a")
        #expect(throws: KafkaLagError.self) { try resolver.trigger(for: metadata, namespace: "team-b") }
        try writeProfile("kafka", [AuthProfileScope.namespacesKey: "team-b"])
        let error = #expect(throws: KafkaLagError.self) { try resolver.reResolve(metadata, namespace: "team-a") }
        #expect(error?.code == .permissionDenied)
        #expect(try resolver.reResolve(metadata, namespace: "team-b").connection.security.username == "scaler")
    }

    @Test("invalid metadata carries KEDA's message")
    func invalid() {
        let resolver = TriggerResolver(directory: AuthProfileDirectory(root: nil))
        #expect(throws: KafkaLagError.self) { try resolver.trigger(for: ["consumerGroup": "g"]) }
    }
}
