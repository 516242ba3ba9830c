import ArgumentParser
import Testing

@testable import keda_kafka_scaler

@Suite("CLI argument values")
struct CommandParsingTests {
    @Test(
        "HOST:PORT addresses",
        arguments: [
            ("127.0.0.1:6000", HostAndPort(host: "127.0.0.1", port: 6000)),
            ("scaler.keda.svc:6000", HostAndPort(host: "scaler.keda.svc", port: 6000)),
            ("[::1]:8080", HostAndPort(host: "::1", port: 8080)),
        ])
    func address(text: String, expected: HostAndPort) {
        #expect(HostAndPort(argument: text) == expected)
        #expect(HostAndPort(argument: text)?.description == text)
    }

    @Test("bad addresses are refused", arguments: ["6000", "host:", ":6000", "host:0", "host:70000", "host:http", "::1:6000", "[::1]6000"])
    func badAddress(text: String) {
        #expect(HostAndPort(argument: text) == nil)
    }

    @Test("--metadata key=value entries; the value may contain '='; a later entry wins")
    func metadataEntries() throws {
        #expect(
            try Probe.parse(["topic=orders", "sasl=plaintext", "password=a=b", "topic=payments", "empty="])
                == ["topic": "payments", "sasl": "plaintext", "password": "a=b", "empty": ""])
    }

    @Test("a malformed --metadata entry is refused without echoing it", arguments: ["password:hunter2", "=value"])
    func badMetadataEntry(entry: String) {
        do {
            _ = try Probe.parse(["topic=t", entry])
            Issue.record("expected a validation error")
        } catch {
            let message = "\(error)"
            #expect(message.contains("entry 2"))
            #expect(!message.contains("hunter2"))
        }
    }

    @Test("subcommands parse their flags")
    func subcommands() throws {
        let health = try #require(try KedaKafkaScaler.parseAsRoot(["health", "--address", "127.0.0.1:7000", "--service", "x"]) as? Health)
        #expect(health.address == HostAndPort(host: "127.0.0.1", port: 7000))
        #expect(health.service == "x")
        let reload = try #require(
            try KedaKafkaScaler.parseAsRoot(["registry", "reload", "--namespace", "n", "--name", "s"]) as? RegistryCommand.Reload)
        #expect(reload.name == "s")
        #expect(throws: (any Error).self) { try KedaKafkaScaler.parseAsRoot(["registry", "reload", "--name", "s"]) }
        #expect(throws: (any Error).self) { try KedaKafkaScaler.parseAsRoot(["health", "--timeout", "0"]) }
        #expect(throws: (any Error).self) { try KedaKafkaScaler.parseAsRoot(["probe", "--address", "nope"]) }
        let demo = try #require(try KedaKafkaScaler.parseAsRoot(["demo", "--duration", "4"]) as? Demo)
        #expect(demo.duration == 4)
    }

    @Test(
        "serve refuses settings the scaler cannot start with, naming the flag",
        arguments: [
            (["--tls-key", "/k.pem"], "--tls-cert (KKS_TLS_CERT) is not set, but TLS needs both a certificate chain and its private key"),
            (
                ["--allowed-client-names", "keda"],
                "--allowed-client-names (KKS_ALLOWED_CLIENT_NAMES) needs --tls-client-ca (KKS_TLS_CLIENT_CA): without mTLS clients present no certificate"
            ),
            (["--allowed-bootstrap-servers", "a:1 *."], "--allowed-bootstrap-servers (KKS_ALLOWED_BOOTSTRAP_SERVERS): invalid pattern '*.'"),
        ])
    func serveSettingsErrors(arguments: [String], message: String) {
        do {
            _ = try KedaKafkaScaler.parseAsRoot(["serve"] + arguments)
            Issue.record("expected: \(message)")
        } catch {
            #expect(KedaKafkaScaler.message(for: error) == message)
        }
    }
}
