import Foundation
import Testing

@testable import KafkaScaler

@Suite("ScalerSettings: what the scaler refuses to start with, and which setting it names")
struct ScalerSettingsTests {
    private static func settings(_ change: (inout ScalerSettings) -> Void) -> ScalerSettings {
        var settings = ScalerSettings.defaults
        settings.allowCoreDumps = true  // the test process stays as it is
        settings.ops = nil
        change(&settings)
        return settings
    }

    @Test("the defaults, and a complete TLS set with client names, validate")
    func valid() throws {
        try ScalerSettings.defaults.validate()
        try Self.settings {
            $0.tls = .init(certificateChain: "/c.pem", privateKey: "/k.pem", clientCA: "/ca.pem")
            $0.allowedClientNames = "keda-operator, other"
            $0.allowedBootstrapServers = "*.kafka.svc:9092 broker-0"
        }.validate()
    }

    @Test(
        "each refused setting gets a code and a message naming it",
        arguments: [
            (
                ScalerSettings.TLS(certificateChain: "/c.pem", privateKey: nil, clientCA: nil), nil, nil, ScalerSettingsError.Code.tls,
                ScalerSettingsError.Setting.tlsPrivateKey,
                "TLS private key file is not set, but TLS needs both a certificate chain and its private key"
            ),
            (
                ScalerSettings.TLS(certificateChain: nil, privateKey: nil, clientCA: "/ca.pem"), nil, nil, .tls, .tlsClientCA,
                "TLS client CA file '/ca.pem' needs a server certificate chain and private key as well"
            ),
            (
                ScalerSettings.TLS(certificateChain: nil, privateKey: nil, clientCA: nil), "keda-operator", nil, .clientNamesWithoutMTLS,
                .allowedClientNames, "allowed client names needs TLS client CA file: without mTLS clients present no certificate"
            ),
            (
                ScalerSettings.TLS(certificateChain: nil, privateKey: nil, clientCA: nil), nil, "kafka:9092 *.", .invalidBrokerPattern,
                .allowedBootstrapServers, "allowed bootstrap servers: invalid pattern '*.'"
            ),
        ] as [(ScalerSettings.TLS, String?, String?, ScalerSettingsError.Code, ScalerSettingsError.Setting, String)])
    func refused(
        tls: ScalerSettings.TLS, clientNames: String?, brokers: String?, code: ScalerSettingsError.Code, setting: ScalerSettingsError.Setting,
        message: String
    ) {
        let settings = Self.settings {
            $0.tls = tls
            $0.allowedClientNames = clientNames
            $0.allowedBootstrapServers = brokers
        }
        do {
            try settings.validate()
            Issue.record("expected \(code)")
        } catch {
            #expect(error.code == code)
            #expect(error.setting == setting)
            #expect(error.description == message)
            #expect(error.describe { "<\($0)>" }.hasPrefix("<\(setting)>"))
        }
    }

    @Test("a fingerprint key file that cannot be read, or is too short, stops the assembly")
    func fingerprintKeyFile() throws {
        let short = FileManager.default.temporaryDirectory.appendingPathComponent("kks-short-key-\(UInt32.random(in: 0...UInt32.max))").path
        #expect(FileManager.default.createFile(atPath: short, contents: Data("eight by".utf8)))
        defer { try? FileManager.default.removeItem(atPath: short) }
        for (file, message) in [
            ("/nonexistent/fingerprint-key", "fingerprint key file '/nonexistent/fingerprint-key' cannot be read"),
            (short, "fingerprint key file '\(short)': the fingerprint key has 8 bytes; at least 16 are needed"),
        ] {
            do {
                _ = try ScalerAssembly(settings: Self.settings { $0.fingerprintKeyFile = file }, metrics: { [] })
                Issue.record("expected \(message)")
            } catch let error as ScalerSettingsError {
                #expect(error.code == .invalidFingerprintKey)
                #expect(error.description == message)
            }
        }
    }

    @Test("a TLS file that cannot be read stops the assembly, naming the file")
    func unreadableTLSFile() {
        let settings = Self.settings { $0.tls = .init(certificateChain: "/nonexistent/tls.crt", privateKey: "/nonexistent/tls.key", clientCA: nil) }
        do {
            _ = try ScalerAssembly(settings: settings, metrics: { [] })
            Issue.record("expected an unreadable TLS file")
        } catch let error as ScalerSettingsError {
            #expect(error.code == .tls)
            #expect(error.setting == .tlsCertificateChain)
            #expect(error.describe { _ in "--tls-cert" }.hasPrefix("--tls-cert '/nonexistent/tls.crt' cannot be read"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
