/// Why TLS could not be set up from the configured files. Each error names the file's role
/// (the CLI turns that into its flag) and, when it is about a file, the path and the reason.
public struct TLSSetupError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case missingFile = "is not set, but TLS needs both a certificate chain and its private key"
            case clientCAWithoutCertificate = "needs a server certificate chain and private key as well"
            case unreadableFile = "cannot be read"
            case invalidCertificate = "holds no valid PEM certificate"
            case invalidPrivateKey = "holds no valid PEM private key"
            case keyMismatch = "does not match the certificate"
            case invalidClientCA = "holds no valid PEM CA certificate"
            case contextFailed = "was rejected by the TLS library"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// One of a certificate/key pair was set without the other.
        public static let missingFile = Code(.missingFile)
        /// A client CA (mTLS) was set without a server certificate.
        public static let clientCAWithoutCertificate = Code(.clientCAWithoutCertificate)
        /// The file does not exist or cannot be opened or read.
        public static let unreadableFile = Code(.unreadableFile)
        /// The certificate file has no parsable PEM certificate.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// The key file has no parsable PEM private key.
        public static let invalidPrivateKey = Code(.invalidPrivateKey)
        /// The private key is not the key of the leaf certificate.
        public static let keyMismatch = Code(.keyMismatch)
        /// The client CA file has no parsable PEM certificate.
        public static let invalidClientCA = Code(.invalidClientCA)
        /// BoringSSL refused the configuration for another reason.
        public static let contextFailed = Code(.contextFailed)

        /// The reason as a predicate of the file ("cannot be read").
        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The file the failure is about.
    public let role: TLSFiles.Role
    /// The file's path, when one was given.
    public let path: String?
    /// The underlying reason (an errno text or a TLS library error), if any.
    public let detail: String?

    init(_ code: Code, role: TLSFiles.Role, path: String? = nil, detail: String? = nil) {
        self.code = code
        self.role = role
        self.path = path
        self.detail = detail
    }

    /// The message with the file named by `name` (the CLI passes its flag names).
    public func describe(naming name: (TLSFiles.Role) -> String) -> String {
        var message = "\(name(role))"
        if let path { message += " '\(path)'" }
        message += " \(code)"
        if let detail { message += ": \(detail)" }
        return message
    }

    /// The message with generic file names.
    public var description: String { describe(naming: { "TLS \($0.rawValue) file" }) }
}
