import GRPCServerNIO

/// Why the scaler cannot start with its ``ScalerSettings``. Each error names the setting
/// at fault through a closure, so `serve` can name its flag and a library user its field.
public struct ScalerSettingsError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case tls, invalidBrokerPattern, clientNamesWithoutMTLS, invalidFingerprintKey, coreDumpsNotDisabled
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A TLS file is missing, unreadable or invalid.
        public static let tls = Code(.tls)
        /// An allowed-bootstrap-servers item is no host, host:port or *.suffix pattern.
        public static let invalidBrokerPattern = Code(.invalidBrokerPattern)
        /// Client names were given without a client CA: clients present no certificate.
        public static let clientNamesWithoutMTLS = Code(.clientNamesWithoutMTLS)
        /// The fingerprint key file cannot be read or holds too short a key.
        public static let invalidFingerprintKey = Code(.invalidFingerprintKey)
        /// The process could not be made non-dumpable.
        public static let coreDumpsNotDisabled = Code(.coreDumpsNotDisabled)

        public var description: String { value.rawValue }
    }

    /// The settings an error can be about.
    public enum Setting: String, Sendable, Hashable, CaseIterable {
        case tlsCertificateChain = "TLS certificate chain file"
        case tlsPrivateKey = "TLS private key file"
        case tlsClientCA = "TLS client CA file"
        case allowedClientNames = "allowed client names"
        case allowedBootstrapServers = "allowed bootstrap servers"
        case fingerprintKeyFile = "fingerprint key file"
        case allowCoreDumps = "allow core dumps"
    }

    /// The kind of failure.
    public let code: Code
    /// The setting at fault.
    public let setting: Setting
    /// What is wrong, after the setting's name (and, for TLS, the file's path).
    private let reason: Reason

    private enum Reason: Hashable {
        case tls(TLSSetupError)
        case text(String)
        case needs(Setting, String)
        case suggest(String, Setting, String)
    }

    private init(_ code: Code, _ setting: Setting, _ reason: Reason) {
        self.code = code
        self.setting = setting
        self.reason = reason
    }

    init(_ error: TLSSetupError) {
        let setting: Setting =
            switch error.role {
            case .certificateChain: .tlsCertificateChain
            case .privateKey: .tlsPrivateKey
            case .clientCA: .tlsClientCA
            }
        self.init(.tls, setting, .tls(error))
    }

    static func invalidBrokerPattern(_ item: String) -> Self {
        Self(.invalidBrokerPattern, .allowedBootstrapServers, .text(": invalid pattern '\(item)'"))
    }

    static var clientNamesWithoutMTLS: Self {
        Self(.clientNamesWithoutMTLS, .allowedClientNames, .needs(.tlsClientCA, "without mTLS clients present no certificate"))
    }

    static func unreadableFingerprintKeyFile(_ file: String) -> Self {
        Self(.invalidFingerprintKey, .fingerprintKeyFile, .text(" '\(file)' cannot be read"))
    }

    static func invalidFingerprintKey(file: String, _ problem: String) -> Self {
        Self(.invalidFingerprintKey, .fingerprintKeyFile, .text(" '\(file)': \(problem)"))
    }

    static var coreDumpsNotDisabled: Self {
        Self(
            .coreDumpsNotDisabled, .allowCoreDumps, .suggest("prctl(PR_SET_DUMPABLE, 0) failed; start with", .allowCoreDumps, "true to run dumpable"))
    }

    /// The message with each setting named by `name` (`serve` passes its flags).
    public func describe(naming name: (Setting) -> String) -> String {
        switch reason {
        case .tls(let error):
            error.describe { _ in name(setting) }
        case .text(let text):
            name(setting) + text
        case .needs(let other, let why):
            "\(name(setting)) needs \(name(other)): \(why)"
        case .suggest(let before, let other, let after):
            "\(before) \(name(other)) \(after)"
        }
    }

    /// The message with the settings' plain names.
    public var description: String { describe(naming: \.rawValue) }
}
