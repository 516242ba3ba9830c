import Foundation
import Testing

@testable import keda_kafka_scaler

@Suite("probe --file: ScaledObject and trigger manifests")
struct TriggerFileTests {
    private func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
    }

    @Test("a ScaledObject among several YAML documents gives its first trigger, name and namespace")
    func scaledObjectYAML() throws {
        let file = try TriggerFile.load(path: try fixture("scaledobject.yaml"))
        #expect(file.name == "orders-processor")
        #expect(file.namespace == "shop")
        #expect(
            file.metadata == [
                "scalerAddress": "keda-kafka-scaler.keda.svc:6000",
                "bootstrapServers": "kafka-0.kafka:9092,kafka-1.kafka:9092",
                "consumerGroup": "orders-consumers",
                "topic": "orders",
                "lagThreshold": "50",
                "activationLagThreshold": "5",
                "excludePersistentLag": "true",
                "sasl": "plaintext",
                "password": "hunter2",
            ])
    }

    @Test("JSON goes through Foundation; numbers and booleans become their text, null is absent")
    func scaledObjectJSON() throws {
        let file = try TriggerFile.load(path: try fixture("scaledobject.json"))
        #expect(file.name == "payments")
        #expect(file.namespace == "billing")
        #expect(file.metadata["lagThreshold"] == "25")
        #expect(file.metadata["scaleToZeroOnInvalidOffset"] == "false")
        #expect(file.metadata["partitionLimitation"] == nil)
        #expect(file.metadata.count == 6)
    }

    @Test("a bare trigger gives its metadata and no name")
    func bareTrigger() throws {
        let file = try TriggerFile.load(path: try fixture("trigger.yaml"))
        #expect(file == TriggerFile(metadata: ["bootstrapServers": "127.0.0.1:9092", "consumerGroup": "g", "topic": "t"]))
    }

    @Test("files without a trigger, malformed files and missing files are specific errors")
    func errors() throws {
        #expect(throws: TriggerFileError.self) { try TriggerFile.load(path: try fixture("not-a-trigger.yaml")) }
        let cases: [(String, Bool, TriggerFileError.Code)] = [
            ("spec: {triggers: []}", false, .noTrigger),
            ("spec:\n  triggers:\n    - type: external\n", false, .noTrigger),
            ("type: external\nmetadata: [a, b]\n", false, .invalidMetadata),
            ("type: external\nmetadata:\n  topic: [a]\n", false, .invalidMetadata),
            ("key: \"unterminated\n", false, .malformed),
            ("a: b\n c: d\n", false, .malformed),
            ("{\"type\": \"external\", ", true, .malformed),
            ("[1, 2]", true, .noTrigger),
        ]
        for (text, json, code) in cases {
            do {
                _ = try TriggerFile.parse(Data(text.utf8), json: json, source: "inline")
                Issue.record("expected \(code) for \(text)")
            } catch {
                #expect(error.code == code, "\(text): \(error.message)")
                #expect(error.message.hasPrefix("inline"))
            }
        }
        do {
            _ = try TriggerFile.load(path: "/nonexistent/so.yaml")
            Issue.record("expected an unreadable file")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.message.contains("/nonexistent/so.yaml"))
        }
    }
}
