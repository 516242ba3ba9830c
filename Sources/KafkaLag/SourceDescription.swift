/// Redacted descriptions: interpolating a source or its settings into a log
/// line, an error or a status page shows which settings are in use, never a
/// credential's value.
extension Source: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "Source(fingerprint: \(fingerprint), brokers: \(connection.bootstrapServers.joined(separator: ",")), "
            + "group: \(consumerGroup), topic: \(topic.isEmpty ? "<all topics of the group>" : topic), "
            + "security: \(connection.security))"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}

extension ConnectionSettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "Connection(fingerprint: \(fingerprint), brokers: \(bootstrapServers.joined(separator: ",")), security: \(security))"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}

extension SecuritySettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        var parts = ["sasl: \(sasl?.rawValue ?? "none")"]
        if let username { parts.append("username: \(username)") }
        if password != nil { parts.append("password: <redacted>") }
        if let oauthBearer { parts.append("oauth: \(oauthBearer)") }
        if let gssapi { parts.append("gssapi: \(gssapi)") }
        parts.append("tls: \(tls.map(String.init(describing:)) ?? "disabled")")
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}

extension TLSSettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        let material = [
            caPEM.map { _ in "ca" }, certPEM.map { _ in "cert" },
            keyPEM.map { _ in "key: <redacted>" }, keyPassword.map { _ in "keyPassword: <redacted>" },
        ].compactMap { $0 }
        return "{enabled, unsafeSsl: \(unsafeSsl)\(material.isEmpty ? "" : ", " + material.joined(separator: ", "))}"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}

extension OAuthBearerSettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        var parts = ["provider: \(tokenProvider.name)"]
        if !tokenEndpointURI.isEmpty { parts.append("tokenEndpoint: \(tokenEndpointURI)") }
        if !extensions.isEmpty { parts.append("extensions: \(extensions.keys.sorted().joined(separator: ","))") }
        if !awsRegion.isEmpty { parts.append("awsRegion: \(awsRegion)") }
        if staticToken != nil { parts.append("oauthToken: <redacted>") }
        switch awsCredentials {
        case .role(let arn): parts.append("awsRoleArn: \(arn)")
        case .staticKeys: parts.append("awsKeys: <redacted>")
        case .ambient: parts.append("awsCredentials: ambient")
        case nil: break
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}

extension GSSAPISettings: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "{realm: \(realm), service: \(effectiveServiceName), keytab: \(keytab == nil ? "none" : "<redacted>"), disableFAST: \(disableFAST)}"
    }

    /// The same redacted text: `String(reflecting:)` must not leak either.
    public var debugDescription: String { description }
}
