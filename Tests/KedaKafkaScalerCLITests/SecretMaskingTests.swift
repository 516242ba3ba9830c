import Testing

@testable import keda_kafka_scaler

@Suite("Secret masking in CLI output")
struct SecretMaskingTests {
    @Test(
        "credential keys are masked, with or without FromEnv",
        arguments: [
            "password", "passwordFromEnv", "keyPassword", "key", "username", "usernameFromEnv", "keytab",
            "awsSecretAccessKey", "awsSecretAccessKeyFromEnv", "awsAccessKeyID", "awsSessionToken", "PASSWORD", "clientSecret",
        ])
    func masked(key: String) {
        #expect(SecretMasking.isSecret(key))
        #expect(SecretMasking.display(key, "hunter2") == SecretMasking.mask)
    }

    @Test(
        "other keys are shown as they are",
        arguments: [
            "bootstrapServers", "consumerGroup", "topic", "lagThreshold", "sasl", "tls", "saslTokenProvider", "scalerAddress",
            "ca", "cert", "oauthTokenEndpointUri", "authProfile", "keyspace",
        ])
    func shown(key: String) {
        #expect(!SecretMasking.isSecret(key))
        #expect(SecretMasking.display(key, "value") == "value")
    }

    @Test("lines are sorted and never contain a secret value")
    func lines() {
        let lines = SecretMasking.lines(["topic": "orders", "password": "hunter2", "sasl": "plaintext", "keyPassword": "pem-pass"])
        #expect(lines == ["keyPassword = ******", "password = ******", "sasl = plaintext", "topic = orders"])
        #expect(!lines.joined().contains("hunter2"))
    }
}
