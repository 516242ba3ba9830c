import KafkaLag
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Kerberos for SASL/GSSAPI. librdkafka authenticates through Cyrus SASL and MIT Kerberos
/// inside this process, which read the configuration (`KRB5_CONFIG`) and the credential
/// cache (`KRB5CCNAME`) from the process environment, and it gets tickets by running
/// `kinit`. So one `kerberosConfig` and one principal serve the whole process; a
/// connection asking for another is refused with a clear error. Files live in a private
/// temporary directory (0700, files 0600), like KEDA's `$TMPDIR/kerberos`.
final class KerberosEnvironment: Sendable {
    /// The process's one Kerberos setup.
    static let shared = KerberosEnvironment()

    /// What librdkafka needs for one connection.
    struct Setup: Sendable, Equatable {
        /// `username@realm`.
        var principal: String
        /// The keytab file, when the profile gives one.
        var keytabPath: String?
        /// The command librdkafka runs (through `/bin/sh`) to get and renew tickets.
        var kinitCommand: String
    }

    private struct State {
        var directory: String?
        var config: String?
        var principal: String?
    }

    private let state = Mutex(State())

    /// Writes `settings`' files and points the process at them (the first time).
    func prepare(_ settings: GSSAPISettings, username: String, password: String?) throws(KafkaLagError) -> Setup {
        let principal = "\(username)@\(settings.realm)"
        return try state.withLock { state throws(KafkaLagError) -> Setup in
            if let config = state.config, let current = state.principal, config != settings.kerberosConfig || current != principal {
                throw KafkaLagError(
                    .invalidMetadata,
                    "this scaler already authenticates as Kerberos principal \(current) with its kerberosConfig; one principal and kerberosConfig serve a whole process"
                )
            }
            let directory: String
            if let existing = state.directory {
                directory = existing
            } else {
                directory = try Self.makeDirectory()
                state.directory = directory
            }
            let configPath = directory + "/krb5.conf"
            try Self.write(Array(settings.kerberosConfig.utf8), to: configPath, what: "kerberosConfig")
            if state.config == nil {
                // Once, before the first GSSAPI handle exists: nothing reads these yet.
                setenv("KRB5_CONFIG", configPath, 1)
                setenv("KRB5CCNAME", "FILE:" + directory + "/ccache", 1)
            }
            state.config = settings.kerberosConfig
            state.principal = principal
            if let keytab = settings.keytab {
                guard let bytes = Data(base64Encoded: keytab) else {
                    throw KafkaLagError(.invalidMetadata, "keytab is not a keytab file")
                }
                let keytabPath = directory + "/client.keytab"
                try Self.write(Array(bytes), to: keytabPath, what: "keytab")
                return Setup(
                    principal: principal, keytabPath: keytabPath, kinitCommand: "kinit -k -t \"%{sasl.kerberos.keytab}\" '%{sasl.kerberos.principal}'"
                )
            }
            let passwordPath = directory + "/password"
            try Self.write(Array((password ?? "").utf8) + [0x0A], to: passwordPath, what: "password")
            return Setup(principal: principal, keytabPath: nil, kinitCommand: "kinit '%{sasl.kerberos.principal}' < '\(passwordPath)'")
        }
    }

    private static func makeDirectory() throws(KafkaLagError) -> String {
        var template = Array((NSTemporaryDirectory() + "/keda-kafka-scaler-krb5-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw KafkaLagError(.internalError, "cannot create a private directory for Kerberos files")
        }
        return String(cString: made)
    }

    /// Replaces `path` with `bytes`, readable by the owner only.
    private static func write(_ bytes: [UInt8], to path: String, what: String) throws(KafkaLagError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw KafkaLagError(.internalError, "cannot write the \(what) file for Kerberos") }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw KafkaLagError(.internalError, "cannot write the \(what) file for Kerberos") }
    }
}
