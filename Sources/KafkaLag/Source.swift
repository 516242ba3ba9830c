/// Where a trigger's lag is read from: the part of its metadata that the
/// connection registry pins at a `configVersion` (DESIGN.md §4).
///
/// Two triggers with equal sources read the same offsets, so observations are
/// cached and coalesced per `Source`.
public struct Source: Hashable, Sendable {
    /// Brokers, security settings and credentials: the connection-pool key.
    public var connection: ConnectionSettings
    /// The consumer group whose committed offsets are read.
    public var consumerGroup: String
    /// One topic, or empty for every topic the group has committed offsets for.
    public var topic: String

    public init(connection: ConnectionSettings, consumerGroup: String, topic: String) {
        self.connection = connection
        self.consumerGroup = consumerGroup
        self.topic = topic
    }
}

/// Everything that decides which Kafka connection serves a source. Triggers
/// whose settings are equal share one librdkafka handle.
public struct ConnectionSettings: Hashable, Sendable {
    /// `bootstrapServers` split on `,`, each element trimmed (KEDA keeps empty elements).
    public var bootstrapServers: [String]
    /// SASL and TLS, with credentials resolved from metadata and the auth profile.
    public var security: SecuritySettings

    public init(bootstrapServers: [String], security: SecuritySettings = .init()) {
        self.bootstrapServers = bootstrapServers
        self.security = security
    }
}

/// SASL and TLS settings of a connection, credentials included. Never log or
/// print this type: use ``Source/fingerprint`` style digests instead.
public struct SecuritySettings: Hashable, Sendable {
    /// The SASL mechanisms of the in-tree trigger's `sasl` key.
    public enum SASLMechanism: String, Hashable, Sendable, CaseIterable {
        case plaintext
        case scramSHA256 = "scram_sha256"
        case scramSHA512 = "scram_sha512"
        case oauthbearer
        case gssapi
    }

    /// The `sasl` key; `nil` when unset or `none`.
    public var sasl: SASLMechanism?
    /// SASL user (OAuth client id for `oauthbearer`, principal for `gssapi`).
    public var username: String?
    /// SASL password (OAuth client secret for `oauthbearer`). A secret.
    public var password: String?
    /// TLS to Kafka; `nil` when `tls` is `disable`.
    public var tls: TLSSettings?
    /// Token settings; set exactly when `sasl` is `.oauthbearer`. `username` and
    /// `password` are then the OAuth client id and secret.
    public var oauthBearer: OAuthBearerSettings?
    /// Kerberos settings; set exactly when `sasl` is `.gssapi`. `username` is the
    /// principal, `password` is used when no keytab is given.
    public var gssapi: GSSAPISettings?

    public init(
        sasl: SASLMechanism? = nil, username: String? = nil, password: String? = nil, tls: TLSSettings? = nil,
        oauthBearer: OAuthBearerSettings? = nil, gssapi: GSSAPISettings? = nil
    ) {
        self.sasl = sasl
        self.username = username
        self.password = password
        self.tls = tls
        self.oauthBearer = oauthBearer
        self.gssapi = gssapi
    }
}

/// TLS to Kafka (`tls=enable`): PEM material from the auth profile and `unsafeSsl`.
public struct TLSSettings: Hashable, Sendable {
    /// `ca`: extra trusted CA certificates.
    public var caPEM: String?
    /// `cert`: client certificate (with `key`).
    public var certPEM: String?
    /// `key`: client private key. A secret.
    public var keyPEM: String?
    /// Decrypts an encrypted PKCS#8 `key`.
    public var keyPassword: String?
    /// Skips server-certificate verification (the trigger's `unsafeSsl`).
    public var unsafeSsl: Bool

    public init(caPEM: String? = nil, certPEM: String? = nil, keyPEM: String? = nil, keyPassword: String? = nil, unsafeSsl: Bool = false) {
        self.caPEM = caPEM
        self.certPEM = certPEM
        self.keyPEM = keyPEM
        self.keyPassword = keyPassword
        self.unsafeSsl = unsafeSsl
    }
}
