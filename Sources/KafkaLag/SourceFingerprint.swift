/// Secret-free identities for sources and connections, shown in registry status,
/// metrics and logs. Equal values give equal fingerprints under one key
/// (``FingerprintKey``); any change of brokers, group, topic, security setting or
/// credential gives a different one. Secrets enter the encoding only as their own
/// SHA-256, the whole is keyed with HMAC-SHA-256 (so a fingerprint is no oracle
/// for offline password guessing), and the result is truncated to 16 hex digits.
extension Source {
    /// 16 hex digits identifying this source under the process's fingerprint key.
    public var fingerprint: String {
        fingerprint(key: FingerprintKey.current)
    }

    /// 16 hex digits identifying this source under `key`.
    public func fingerprint(key: [UInt8]) -> String {
        var encoder = CanonicalEncoder(domain: "kks.source.v1")
        connection.encode(into: &encoder)
        encoder.field("group", consumerGroup)
        encoder.field("topic", topic)
        return encoder.fingerprint(key: key)
    }
}

extension ConnectionSettings {
    /// 16 hex digits identifying the connection (the pool key) under the process's fingerprint key.
    public var fingerprint: String {
        fingerprint(key: FingerprintKey.current)
    }

    /// 16 hex digits identifying the connection under `key`.
    public func fingerprint(key: [UInt8]) -> String {
        var encoder = CanonicalEncoder(domain: "kks.connection.v1")
        encode(into: &encoder)
        return encoder.fingerprint(key: key)
    }

    fileprivate func encode(into encoder: inout CanonicalEncoder) {
        encoder.field("brokers", bootstrapServers)
        let security = self.security
        encoder.field("sasl", security.sasl?.rawValue)
        encoder.field("username", security.username)
        encoder.secret("password", security.password)
        if let tls = security.tls {
            encoder.field("tls", "enable")
            encoder.field("ca", tls.caPEM)
            encoder.field("cert", tls.certPEM)
            encoder.secret("key", tls.keyPEM)
            encoder.secret("keyPassword", tls.keyPassword)
            encoder.field("unsafeSsl", tls.unsafeSsl ? "true" : "false")
        }
        if let oauth = security.oauthBearer {
            encoder.field("tokenProvider", oauth.tokenProvider.name)
            encoder.field("tokenEndpoint", oauth.tokenEndpointURI)
            encoder.field("scopes", oauth.scopes)
            for key in oauth.extensions.keys.sorted() {
                encoder.field("extension", key)
                encoder.secret("extensionValue", oauth.extensions[key])
            }
            encoder.field("awsRegion", oauth.awsRegion)
            encoder.secret("oauthToken", oauth.staticToken)
            switch oauth.awsCredentials {
            case .role(let arn):
                encoder.field("awsRoleArn", arn)
            case .staticKeys(let keyID, let secretKey, let sessionToken):
                encoder.secret("awsAccessKeyID", keyID)
                encoder.secret("awsSecretAccessKey", secretKey)
                encoder.secret("awsSessionToken", sessionToken)
            case .ambient:
                encoder.field("awsCredentials", "ambient")
            case nil:
                break
            }
        }
        if let gssapi = security.gssapi {
            encoder.field("realm", gssapi.realm)
            encoder.field("kerberosConfig", gssapi.kerberosConfig)
            encoder.secret("keytab", gssapi.keytab)
            encoder.field("serviceName", gssapi.serviceName)
            encoder.field("disableFAST", gssapi.disableFAST ? "true" : "false")
        }
    }
}

/// An unambiguous byte encoding: every field is tagged and length-prefixed, so
/// no two different values encode alike.
private struct CanonicalEncoder {
    private var bytes: [UInt8] = []

    init(domain: String) {
        field("domain", domain)
    }

    mutating func field(_ tag: String, _ value: String?) {
        append(tag)
        if let value {
            bytes.append(1)
            append(value)
        } else {
            bytes.append(0)
        }
    }

    mutating func field(_ tag: String, _ values: [String]) {
        append(tag)
        append(UInt64(values.count))
        for value in values { append(value) }
    }

    /// Only the secret's digest enters the encoding.
    mutating func secret(_ tag: String, _ value: String?) {
        field(tag, value.map { SHA256.hex(SHA256.digest(Array($0.utf8))) })
    }

    func fingerprint(key: [UInt8]) -> String {
        String(SHA256.hex(SHA256.hmac(key: key, bytes)).prefix(16))
    }

    private mutating func append(_ text: String) {
        append(UInt64(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func append(_ number: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: number >> UInt64(shift)))
        }
    }
}
