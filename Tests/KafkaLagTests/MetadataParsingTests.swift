import Foundation
import KafkaLag
import Testing

/// KEDA ≥ 2.20 parsing rules beyond what KEDA's own tables cover, and the keys
/// this scaler adds.
@Suite("Trigger metadata parsing")
struct MetadataParsingTests {
    static let base = ["bootstrapServers": "b:9092", "consumerGroup": "g", "topic": "t"]
    static let prefix = "error parsing kafka metadata: error parsing kafka metadata: "

    private func parse(_ extra: [String: String], removing removed: [String] = []) throws -> KafkaTrigger {
        var metadata = Self.base.merging(extra) { $1 }
        for key in removed { metadata[key] = nil }
        return try KafkaTrigger(metadata: metadata, profile: [:])
    }

    private func failure(_ extra: [String: String], removing removed: [String] = []) -> KafkaLagError? {
        #expect(throws: KafkaLagError.self) { try parse(extra, removing: removed) }
    }

    @Test(
        "integers parse as JSON numbers: fractions, exponents, signs and leading zeros fail",
        arguments: [
            ("1.5", "json: cannot unmarshal number 1.5 into Go value of type int64"),
            ("1e3", "json: cannot unmarshal number 1e3 into Go value of type int64"),
            ("+5", "invalid character '+' looking for beginning of value"),
            ("010", "invalid character '1' after top-level value"),
            ("12abc", "invalid character 'a' after top-level value"),
            ("9223372036854775808", "json: cannot unmarshal number 9223372036854775808 into Go value of type int64"),
            ("1.", "unexpected end of JSON input"),
            ("-x", "invalid character 'x' in numeric literal"),
            ("\"5\"", "json: cannot unmarshal string into Go value of type int64"),
            ("true", "json: cannot unmarshal bool into Go value of type int64"),
        ])
    func strictIntegers(text: String, reason: String) {
        let error = failure(["activationLagThreshold": text])
        let field = "unable to set param \"activationLagThreshold\" value \(goQuoted(text)): unable to unmarshal to field type int64: \(reason)"
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == Self.prefix + field)
    }

    @Test("a failed integer keeps Go's zero value, so Validate adds its own error on a new line")
    func zeroValueAfterFieldError() {
        let error = failure(["lagThreshold": "1.5"])
        #expect(
            error?.message == Self.prefix
                + "unable to set param \"lagThreshold\" value \"1.5\": unable to unmarshal to field type int64: json: cannot unmarshal number 1.5 into Go value of type int64\n"
                + "\"lagThreshold\" must be positive number")
    }

    @Test("field errors are joined in KEDA's field order, then the first Validate error")
    func joinedErrors() {
        let error = failure(["allowIdleConsumers": "maybe", "offsetResetPolicy": "newest", "lagThreshold": "0"], removing: ["bootstrapServers"])
        #expect(
            error?.message == Self.prefix
                + [
                    "missing required parameter \"bootstrapServers\" in [triggerMetadata resolvedEnv]",
                    "parameter \"offsetResetPolicy\" value \"newest\" must be one of [latest earliest]",
                    "unable to set param \"allowIdleConsumers\" value \"maybe\": unable to parse boolean value \"maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax",
                    "\"lagThreshold\" must be positive number",
                ].joined(separator: "\n"))
    }

    @Test("Validate stops at its first error")
    func validateStopsAtFirstError() {
        #expect(failure(["lagThreshold": "0", "activationLagThreshold": "-1"])?.message == Self.prefix + "\"lagThreshold\" must be positive number")
        #expect(
            failure(["activationLagThreshold": "-1", "partitionLimitation": "x"])?.message
                == Self.prefix + "\"activationLagThreshold\" must be a non-negative number")
        #expect(
            failure(["partitionLimitation": "x", "allowIdleConsumers": "true", "limitToPartitionsWithLag": "true"])?.message
                == Self.prefix + "invalid partition limitation: x")
    }

    @Test("a JSON null integer reproduces KEDA's recovered panic, replacing every other error")
    func nullInteger() {
        let error = failure(["lagThreshold": "null", "allowIdleConsumers": "maybe"])
        #expect(error?.message == Self.prefix + "failed to parse typed config *reflect.ValueError resulted in panic")
    }

    @Test(
        "booleans follow strconv.ParseBool", arguments: ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False", " true "])
    func booleans(text: String) throws {
        let trigger = try parse(["excludePersistentLag": text])
        #expect(trigger.scaling.excludePersistentLag == ["1", "t", "T", "TRUE", "true", "True", " true "].contains(text))
    }

    @Test("values are trimmed and blank means absent")
    func trimming() throws {
        let trigger = try parse(["lagThreshold": " 25 ", "topic": "  ", "offsetResetPolicy": "\tearliest\n", "bootstrapServers": " a:1 , b:2 ,, "])
        #expect(trigger.scaling.lagThreshold == 25)
        #expect(trigger.source.topic == "")
        #expect(trigger.scaling.offsetResetPolicy == .earliest)
        #expect(trigger.source.connection.bootstrapServers == ["a:1", "b:2", "", ""])
        #expect(trigger.metricName == "kafka-g-topics")
    }

    @Test("plain keys beat FromEnv; FromEnv fills in when the plain key is blank")
    func fromEnvPrecedence() throws {
        let trigger = try parse(["topic": "plain", "topicFromEnv": "env", "consumerGroup": " ", "consumerGroupFromEnv": "env-group"])
        #expect(trigger.source.topic == "plain")
        #expect(trigger.source.consumerGroup == "env-group")
    }

    @Test("the enum check accepts comma lists and keeps them verbatim (KEDA quirk)")
    func enumQuirk() throws {
        let trigger = try parse(["offsetResetPolicy": "latest,earliest", "tls": "enable, disable", "sasl": "plaintext,none"])
        #expect(trigger.scaling.offsetResetPolicy.rawValue == "latest,earliest")
        #expect(trigger.scaling.offsetResetPolicy != .latest && trigger.scaling.offsetResetPolicy != .earliest)
        #expect(trigger.source.connection.security.tls == nil)
        #expect(trigger.source.connection.security.sasl == nil)
        let error = failure(["offsetResetPolicy": "latest,newest"])
        #expect(error?.message == Self.prefix + "parameter \"offsetResetPolicy\" value \"latest,newest\" must be one of [latest earliest]")
    }

    @Test("partitionLimitation is validated even without a topic, then dropped")
    func partitionLimitationWithoutTopic() throws {
        #expect(try parse(["partitionLimitation": "1-3"], removing: ["topic"]).scaling.partitionLimitation == nil)
        #expect(failure(["partitionLimitation": "a"], removing: ["topic"])?.message == Self.prefix + "invalid partition limitation: a")
        #expect(try parse(["partitionLimitation": "4-2,+7"]).scaling.partitionLimitation == [7])
    }

    @Test(
        "partitionLimitation names at most 100,000 IDs, checked before a range is expanded",
        arguments: [
            ("0-2147483647", "0-2147483647"),
            ("0-99999,100000", "100000"),
            ("5,0-99999", "0-99999"),
            (String(repeating: "1,", count: 100_000) + "1", "1"),
        ])
    func partitionLimitationCap(text: String, part: String) throws {
        let start = ContinuousClock.now
        #expect(
            failure(["partitionLimitation": text])?.message
                == Self.prefix + "invalid partition limitation: \(part) (more than 100000 partition IDs in all)")
        // Expanding 0-2147483647 takes minutes and gigabytes; 10 s leaves room for a
        // sanitizer build, which parses the 100,000 legal IDs in about 2.5 s.
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try parse(["partitionLimitation": "0-99999"]).scaling.partitionLimitation?.count == 100_000)
        #expect(try parse(["partitionLimitation": "9-0,0-99999"]).scaling.partitionLimitation?.count == 100_000, "an empty range counts nothing")
    }

    @Test("bootstrapServers lists at most 100 brokers (librdkafka starts a thread per broker)")
    func brokerCap() throws {
        let hundred = (0..<100).map { "b\($0):9092" }.joined(separator: ",")
        #expect(try parse(["bootstrapServers": hundred]).source.connection.bootstrapServers.count == 100)
        let many = (0..<20_000).map { "b\($0):9092" }.joined(separator: ",")
        #expect(failure(["bootstrapServers": many])?.message == "bootstrapServers lists 20000 brokers; at most 100 are accepted")
    }

    @Test(
        "version follows sarama's grammar",
        arguments: [
            ("2.8.1", "2.8.1"), ("0.10.2.1", "0.10.2.1"), ("10.0.0", "10.0.0"),
        ])
    func versions(text: String, shown: String) throws {
        #expect(try parse(["version": text]).kafkaVersion.description == shown)
    }

    @Test("invalid versions are rejected with sarama's message", arguments: ["1.0", "0.10.2", "00.1.2.3", "1.2.3.4", "2.x.0", "v2.8.1"])
    func invalidVersions(text: String) {
        #expect(failure(["version": text])?.message == "error parsing kafka metadata: error parsing kafka version: invalid version `\(text)`")
    }

    @Test("the default version is 1.0.0")
    func defaultVersion() throws {
        #expect(try parse([:]).kafkaVersion == .defaultVersion)
        #expect(KafkaVersion.defaultVersion.description == "1.0.0")
    }

    @Test("fullMetadata (KEDA main only), KEDA's own keys and unknown keys are ignored")
    func ignoredKeys() throws {
        let plain = try parse([:])
        let noisy = try parse(["fullMetadata": "notabool", "scalerAddress": "scaler:6000", "enableTLS": "maybe", "whatever": "x"])
        #expect(noisy == plain)
        #expect(try parse(["fullMetadata": "false"], removing: ["topic"]).source.topic == "")
    }

    @Test("this scaler's keys have defaults")
    func ownKeyDefaults() throws {
        let trigger = try parse([:])
        #expect(trigger.configVersion == 0)
        #expect(trigger.triggerName == "")
        #expect(trigger.authProfile == nil)
        #expect(trigger.pushInterval == .seconds(5))
        #expect(trigger.rollout == .immediate)
    }

    @Test("rollout and rolloutObservations parse; rolloutObservations defaults to 3")
    func rolloutKeys() throws {
        #expect(try parse(["rollout": " shadow "]).rollout == .shadow(observations: 3))
        #expect(try parse(["rollout": "shadow", "rolloutObservations": "1"]).rollout == .shadow(observations: 1))
        #expect(try parse(["rollout": "shadow", "rolloutObservations": "100"]).rollout == .shadow(observations: 100))
        #expect(try parse(["rollout": "immediate", "rolloutObservations": "5"]).rollout == .immediate)
        #expect(try parse(["rollout": ""]).rollout == .immediate, "blank means absent, as for every key")
    }

    @Test("bad rollout values name the key", arguments: ["Shadow", "gradual", "true"])
    func badRollout(text: String) {
        let error = failure(["rollout": text])
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == "invalid \"rollout\" value \(goQuoted(text)): must be immediate or shadow")
    }

    @Test("bad rolloutObservations values name the key, even with rollout: immediate", arguments: ["0", "-1", "2.5", "101", "many"])
    func badRolloutObservations(text: String) {
        let error = failure(["rolloutObservations": text])
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == "invalid \"rolloutObservations\" value \(goQuoted(text)): must be an integer from 1 to 100")
    }

    @Test("this scaler's keys parse")
    func ownKeys() throws {
        let trigger = try parse(["configVersion": " 7 ", "triggerName": "orders", "pushInterval": "30"])
        #expect(try parse(["pushInterval": "86400"]).pushInterval == .seconds(86_400))
        #expect(try parse(["configVersion": "1000000000"]).configVersion == 1_000_000_000)
        #expect(trigger.configVersion == 7)
        #expect(trigger.triggerName == "orders")
        #expect(trigger.pushInterval == .seconds(30))
    }

    @Test("bad configVersion values name the key", arguments: ["-1", "1.5", "abc", "+2", "01", "1000000001", "9223372036854775807"])
    func badConfigVersion(text: String) {
        let error = failure(["configVersion": text, "lagThreshold": "0"])
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == "invalid \"configVersion\" value \(goQuoted(text)): must be an integer from 0 to 1000000000")
    }

    @Test("bad pushInterval values name the key", arguments: ["0", "-5", "2.5", "soon", "86401", "9223372036854775807"])
    func badPushInterval(text: String) {
        let error = failure(["pushInterval": text])
        #expect(error?.code == .invalidMetadata)
        #expect(error?.message == "invalid \"pushInterval\" value \(goQuoted(text)): must be an integer number of seconds from 1 to 86400")
    }

    @Test("the metric name is KEDA's, normalised")
    func metricNames() throws {
        #expect(try parse(["topic": "a/b.c:d%e(f)"]).metricName == "kafka-a-b-c-d-e-f-")
        #expect(try parse(["consumerGroup": "svc.v1"], removing: ["topic"]).metricName == "kafka-svc-v1-topics")
    }

    private func goQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
