import KafkaLag
import Foundation
import TimeUnits

/// The librdkafka configuration of one connection, in the order it is applied.
///
/// This is the only place credentials leave ``SecuritySettings``: every textual
/// form of it (`description`, `debugDescription`, `dump`) masks secret values.
public struct LibrdkafkaProperties: Sendable, Hashable {
    /// Key/value pairs for `rd_kafka_conf_set`, in order.
    public private(set) var entries: [(key: String, value: String)]

    init(_ entries: [(key: String, value: String)]) {
        self.entries = entries
    }

    /// The value of `key`, the last one if it was set twice.
    public subscript(key: String) -> String? {
        entries.last { $0.key == key }?.value
    }

    /// Keys whose values are credentials, never shown.
    static func isSecret(_ key: String) -> Bool {
        key == "ssl.key.pem" || key.contains("password") || key.contains("secret")
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension LibrdkafkaProperties: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let shown = entries.map { "\($0.key)=\(Self.isSecret($0.key) ? "<redacted>" : $0.value)" }
        return "[" + shown.joined(separator: ", ") + "]"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["entries": description]) }
}

extension LibrdkafkaProperties {
    /// Maps a connection and the client configuration to librdkafka properties.
    /// Pure: no I/O, so every SASL/TLS combination is unit-tested.
    ///
    /// - Throws: `invalidMetadata` for an unusable setting (no broker, a SASL
    ///   mechanism we cannot serve, missing credentials, malformed PEM — naming
    ///   the key, never its content).
    ///   `kerberos` is the process's Kerberos setup, required for `gssapi`.
    static func make(
        connection: ConnectionSettings,
        configuration: KafkaClientConfiguration,
        kerberos: KerberosEnvironment.Setup? = nil
    ) throws(KafkaLagError) -> Self {
        let brokers = connection.bootstrapServers.filter { !$0.isEmpty }
        guard !brokers.isEmpty else {
            throw KafkaLagError(.invalidMetadata, "no bootstrap server given")
        }
        var entries: [(key: String, value: String)] = [
            ("bootstrap.servers", brokers.joined(separator: ",")),
            ("client.id", configuration.clientID),
            // KEDA's ListOffsets v1 has no isolation level: it reads the high watermark.
            ("isolation.level", "read_uncommitted"),
            ("enable.auto.commit", "false"),
            // Asking about a topic must never create it.
            ("allow.auto.create.topics", "false"),
            ("socket.timeout.ms", String(configuration.socketTimeout.roundedUpMilliseconds)),
            ("socket.keepalive.enable", String(configuration.socketKeepalive)),
            ("reconnect.backoff.ms", String(configuration.reconnectBackoff.roundedUpMilliseconds)),
            ("reconnect.backoff.max.ms", String(configuration.reconnectBackoffMax.roundedUpMilliseconds)),
            // Our TopicMetadataCache decides when to refresh; librdkafka's own cache
            // outlives it so leader lookups never trigger a Metadata request of their own.
            ("topic.metadata.refresh.interval.ms", "-1"),
            ("metadata.max.age.ms", String(configuration.metadataMaxAge.roundedUpMilliseconds * 3)),
            ("statistics.interval.ms", String(configuration.statisticsInterval?.roundedUpMilliseconds ?? 0)),
        ]
        let security = connection.security
        entries.append(("security.protocol", securityProtocol(security)))
        try entries.append(contentsOf: saslEntries(security, kerberos: kerberos))
        if let tls = security.tls {
            try entries.append(contentsOf: tlsEntries(tls))
        }
        for key in configuration.additionalProperties.keys.sorted() {
            entries.append((key, configuration.additionalProperties[key]!))
        }
        return Self(entries)
    }

    private static func securityProtocol(_ security: SecuritySettings) -> String {
        switch (security.sasl != nil, security.tls != nil) {
        case (false, false): "plaintext"
        case (false, true): "ssl"
        case (true, false): "sasl_plaintext"
        case (true, true): "sasl_ssl"
        }
    }

    private static func saslEntries(_ security: SecuritySettings, kerberos: KerberosEnvironment.Setup?) throws(KafkaLagError) -> [(
        key: String, value: String
    )] {
        guard let sasl = security.sasl else { return [] }
        let mechanism: String
        switch sasl {
        case .plaintext: mechanism = "PLAIN"
        case .scramSHA256: mechanism = "SCRAM-SHA-256"
        case .scramSHA512: mechanism = "SCRAM-SHA-512"
        case .oauthbearer:
            // Tokens come from the handle's OAuthTokenSource, never from a property.
            return [("sasl.mechanisms", "OAUTHBEARER")]
        case .gssapi:
            guard let kerberos, let gssapi = security.gssapi else {
                throw KafkaLagError(.internalError, "sasl=gssapi without a Kerberos setup")
            }
            var entries: [(key: String, value: String)] = [
                ("sasl.mechanisms", "GSSAPI"),
                ("sasl.kerberos.service.name", gssapi.effectiveServiceName),
                ("sasl.kerberos.principal", kerberos.principal),
                ("sasl.kerberos.kinit.cmd", kerberos.kinitCommand),
            ]
            if let keytab = kerberos.keytabPath { entries.append(("sasl.kerberos.keytab", keytab)) }
            return entries
        }
        guard let username = security.username, !username.isEmpty else {
            throw KafkaLagError(.invalidMetadata, "no username given for sasl=\(sasl.rawValue)")
        }
        guard let password = security.password, !password.isEmpty else {
            throw KafkaLagError(.invalidMetadata, "no password given for sasl=\(sasl.rawValue)")
        }
        return [("sasl.mechanisms", mechanism), ("sasl.username", username), ("sasl.password", password)]
    }

    private static func tlsEntries(_ tls: TLSSettings) throws(KafkaLagError) -> [(key: String, value: String)] {
        var entries: [(key: String, value: String)] = []
        if let ca = tls.caPEM {
            try PEMCheck.validate(ca, key: "ca", labels: ["CERTIFICATE"])
            entries.append(("ssl.ca.pem", ca))
        }
        switch (tls.certPEM, tls.keyPEM) {
        case (nil, nil):
            break
        case (.some, nil):
            throw KafkaLagError(.invalidMetadata, "key must be provided with cert")
        case (nil, .some):
            throw KafkaLagError(.invalidMetadata, "cert must be provided with key")
        case let (cert?, key?):
            try PEMCheck.validate(cert, key: "cert", labels: ["CERTIFICATE"])
            try PEMCheck.validate(key, key: "key", labels: ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
            entries.append(("ssl.certificate.pem", cert))
            entries.append(("ssl.key.pem", key))
            if let password = tls.keyPassword, !password.isEmpty {
                entries.append(("ssl.key.password", password))
            }
        }
        if tls.unsafeSsl {
            entries.append(("enable.ssl.certificate.verification", "false"))
            entries.append(("ssl.endpoint.identification.algorithm", "none"))
        }
        return entries
    }
}

/// A structural PEM check, so a pasted secret of the wrong kind fails with the
/// name of its key instead of an OpenSSL error deep in librdkafka.
enum PEMCheck {
    static func validate(_ text: String, key: String, labels: Set<String>) throws(KafkaLagError) {
        var blocks = 0
        var label: String?
        var body = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let begin = marker(line, "BEGIN") {
                guard label == nil, labels.contains(begin) else { throw malformed(key) }
                label = begin
                body = ""
            } else if let end = marker(line, "END") {
                guard end == label, let der = Data(base64Encoded: body), !der.isEmpty else { throw malformed(key) }
                label = nil
                blocks += 1
            } else if label != nil, !line.isEmpty, !line.contains(":") {
                body += line
            }
        }
        guard blocks > 0, label == nil else { throw malformed(key) }
    }

    private static func marker(_ line: String, _ kind: String) -> String? {
        let prefix = "-----\(kind) "
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count > prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    private static func malformed(_ key: String) -> KafkaLagError {
        KafkaLagError(.invalidMetadata, "\(key) is not valid PEM")
    }
}
