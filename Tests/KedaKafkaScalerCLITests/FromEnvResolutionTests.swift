import Testing

@testable import keda_kafka_scaler

@Suite("probe --resolve-from-env: KEDA's …FromEnv rule for external triggers")
struct FromEnvResolutionTests {
    let environment = ["BROKERS": " a:9092,b:9092 ", "EMPTY": "", "GROUP": "orders"]

    @Test("a set variable's value is sent under the same key, untrimmed; plain keys pass as they are")
    func resolved() {
        let resolution = FromEnvResolution(
            ["bootstrapServersFromEnv": "BROKERS", "consumerGroupFromEnv": "GROUP", "topic": "orders", "lagThreshold": "5"],
            environment: environment)
        #expect(
            resolution.metadata == [
                "bootstrapServersFromEnv": " a:9092,b:9092 ", "consumerGroupFromEnv": "orders", "topic": "orders", "lagThreshold": "5",
            ])
        #expect(resolution.omitted.isEmpty)
    }

    @Test("an unset or empty variable leaves the key out, without an error", arguments: ["MISSING", "EMPTY"])
    func omitted(variable: String) {
        let resolution = FromEnvResolution(["topicFromEnv": variable, "topic": "orders"], environment: environment)
        #expect(resolution.metadata == ["topic": "orders"])
        #expect(resolution.omitted == ["topicFromEnv"])
    }

    @Test("only the exact, case-sensitive suffix counts", arguments: ["topicfromenv", "topicFromEnvironment", "FromEnvTopic"])
    func suffix(key: String) {
        let resolution = FromEnvResolution([key: "BROKERS"], environment: environment)
        #expect(resolution.metadata == [key: "BROKERS"])
        #expect(resolution.omitted.isEmpty)
    }
}
