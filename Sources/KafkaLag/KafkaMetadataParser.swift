/// KEDA ≥ 2.20's parse of the in-tree `kafka` trigger (`reference/keda-kafka.md`
/// §3): the typed-config field pass (every failing field adds an error and keeps
/// Go's zero value), then `Validate()` in KEDA's order stopping at its first
/// error, all joined; then the version and AWS steps. Error texts are KEDA's.
struct KafkaMetadataParser {
    struct Parsed {
        var source: Source
        var scaling: ScalingParameters
        var kafkaVersion: KafkaVersion
    }

    /// Where a key may be read from; the first present, non-blank value wins.
    private enum Place {
        /// The metadata key itself.
        case trigger
        /// `<key>FromEnv`, which KEDA sends already resolved.
        case resolvedEnv
        /// The auth profile (TriggerAuthentication's part).
        case profile

        var kedaName: String {
            switch self {
            case .trigger: "triggerMetadata"
            case .resolvedEnv: "resolvedEnv"
            case .profile: "authParams"
            }
        }
    }

    /// Plain key beats `FromEnv` (≥ 2.20).
    private static let metadataOrEnv: [Place] = [.trigger, .resolvedEnv]
    /// `tls`, `sasl`, `saslTokenProvider`: metadata wins over the profile.
    private static let metadataThenProfile: [Place] = [.trigger, .profile]
    /// Credentials: the profile, else metadata (including resolved `FromEnv`).
    private static let credential: [Place] = [.profile, .trigger, .resolvedEnv]
    private static let metadataOnly: [Place] = [.trigger]

    private static let metadataPrefix = "error parsing kafka metadata: "

    let metadata: [String: String]
    let profile: [String: String]

    /// Errors of the field pass, in KEDA's field order.
    private var fieldErrors: [String] = []
    /// Set when a value would make KEDA's reflection-based parser panic.
    private var panicked = false

    init(metadata: [String: String], profile: [String: String]) {
        self.metadata = metadata
        self.profile = profile
    }

    private func lookup(_ key: String, _ order: [Place]) -> String? {
        for place in order {
            let raw: String? =
                switch place {
                case .trigger: metadata[key]
                case .resolvedEnv: metadata[key + "FromEnv"]
                case .profile: profile[key]
                }
            if let raw {
                let trimmed = GoSyntax.trimSpace(raw)
                if !trimmed.isEmpty { return trimmed }
            }
        }
        return nil
    }

    private mutating func required(_ key: String, _ order: [Place]) -> String? {
        guard let value = lookup(key, order) else {
            fieldErrors.append("missing required parameter \(GoSyntax.quote(key)) in [\(order.map(\.kedaName).joined(separator: " "))]")
            return nil
        }
        return value
    }

    private mutating func integer(_ key: String, default defaultValue: String) -> Int64 {
        let text = lookup(key, Self.metadataOnly) ?? defaultValue
        switch GoJSONInteger.parse(text) {
        case .success(let value):
            return value
        case .failure(.null):
            panicked = true
        case .failure(.rejected(let reason)):
            fieldErrors.append(setParamError(key, text, "unable to unmarshal to field type int64: \(reason)"))
        }
        return 0
    }

    private mutating func boolean(_ key: String, _ order: [Place]) -> Bool {
        guard let text = lookup(key, order) else { return false }
        guard let value = GoSyntax.parseBool(text) else {
            let quoted = GoSyntax.quote(text)
            fieldErrors.append(
                setParamError(key, text, "unable to parse boolean value \(quoted): strconv.ParseBool: parsing \(quoted): invalid syntax"))
            return false
        }
        return value
    }

    /// KEDA's enum check: every comma piece, trimmed, must be allowed; the whole
    /// value is then kept verbatim (so `latest,earliest` passes).
    private mutating func enumeration(_ key: String, _ order: [Place], allowed: [String], default defaultValue: String?) -> String {
        guard let text = lookup(key, order) ?? defaultValue else { return "" }
        let pieces = GoSyntax.split(text, ",").map(GoSyntax.trimSpace)
        guard pieces.allSatisfy(allowed.contains) else {
            fieldErrors.append("parameter \(GoSyntax.quote(key)) value \(GoSyntax.quote(text)) must be one of [\(allowed.joined(separator: " "))]")
            return ""
        }
        return text
    }

    private func setParamError(_ key: String, _ value: String, _ reason: String) -> String {
        "unable to set param \(GoSyntax.quote(key)) value \(GoSyntax.quote(value)): \(reason)"
    }

    private func invalid(_ message: String) -> KafkaLagError {
        KafkaLagError(.invalidMetadata, Self.metadataPrefix + message)
    }

    mutating func parse() throws(KafkaLagError) -> Parsed {
        // The typed-config field pass, in the order of KEDA's kafkaMetadata struct.
        let brokers =
            required("bootstrapServers", Self.metadataOrEnv)
            .map { GoSyntax.split($0, ",").map(GoSyntax.trimSpace) } ?? []
        let group = required("consumerGroup", Self.metadataOrEnv) ?? ""
        let topic = lookup("topic", Self.metadataOrEnv) ?? ""
        let partitionLimitationText = lookup("partitionLimitation", Self.metadataOnly)
        let lagThreshold = integer("lagThreshold", default: "10")
        let activationLagThreshold = integer("activationLagThreshold", default: "0")
        let offsetResetPolicy = enumeration("offsetResetPolicy", Self.metadataOnly, allowed: ["latest", "earliest"], default: "latest")
        let allowIdleConsumers = boolean("allowIdleConsumers", Self.metadataOnly)
        let excludePersistentLag = boolean("excludePersistentLag", Self.metadataOnly)
        let scaleToZeroOnInvalidOffset = boolean("scaleToZeroOnInvalidOffset", Self.metadataOnly)
        let limitToPartitionsWithLag = boolean("limitToPartitionsWithLag", Self.metadataOnly)
        let ensureEven = boolean("ensureEvenDistributionOfPartitions", Self.metadataOnly)
        let versionText = lookup("version", Self.metadataOnly)
        let tls = enumeration("tls", Self.metadataThenProfile, allowed: ["enable", "disable"], default: "disable")
        let unsafeSsl = boolean("unsafeSsl", Self.metadataOnly)
        let credentials = Credentials(
            ca: lookup("ca", Self.credential), cert: lookup("cert", Self.credential),
            key: lookup("key", Self.credential), keyPassword: lookup("keyPassword", Self.credential)
        )
        let sasl = enumeration(
            "sasl", Self.metadataThenProfile,
            allowed: ["none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi"], default: nil
        )
        let username = lookup("username", Self.credential)
        let password = lookup("password", Self.credential)
        let tokenProvider = enumeration("saslTokenProvider", Self.metadataThenProfile, allowed: ["bearer", "aws_msk_iam"], default: nil)
        let scopes = lookup("scopes", Self.credential) ?? ""
        let tokenEndpoint = lookup("oauthTokenEndpointUri", Self.credential)
        let extensions = lookup("oauthExtensions", Self.credential)
        let staticToken = lookup("oauthToken", Self.credential)
        // Files the Kerberos library reads (a krb5.conf can load plugins): profiles only.
        let keytab = lookup("keytab", [.profile])
        let realm = lookup("realm", Self.credential)
        let kerberosConfig = lookup("kerberosConfig", [.profile])
        let kerberosServiceName = lookup("kerberosServiceName", Self.credential) ?? ""
        let kerberosDisableFAST = boolean("kerberosDisableFAST", Self.credential)
        let awsRegion = lookup("awsRegion", Self.metadataOnly) ?? ""

        if panicked {
            // A JSON `null` integer makes KEDA's reflection panic; its recover
            // replaces every other error with this one.
            throw invalid(Self.metadataPrefix + "failed to parse typed config *reflect.ValueError resulted in panic")
        }

        var scaling = ScalingParameters(
            lagThreshold: lagThreshold, activationLagThreshold: activationLagThreshold,
            offsetResetPolicy: OffsetResetPolicy(rawValue: offsetResetPolicy),
            allowIdleConsumers: allowIdleConsumers, excludePersistentLag: excludePersistentLag,
            scaleToZeroOnInvalidOffset: scaleToZeroOnInvalidOffset, limitToPartitionsWithLag: limitToPartitionsWithLag,
            ensureEvenDistributionOfPartitions: ensureEven, partitionLimitation: nil
        )
        var security = SecuritySettings()
        let saslContext = SASLContext(
            mode: sasl, username: username, password: password, tokenProvider: tokenProvider,
            scopes: scopes, tokenEndpoint: tokenEndpoint, extensions: extensions, staticToken: staticToken, awsRegion: awsRegion,
            keytab: keytab, realm: realm, kerberosConfig: kerberosConfig,
            kerberosServiceName: kerberosServiceName, kerberosDisableFAST: kerberosDisableFAST
        )
        let validationError = Self.validate(
            &scaling, &security, topic: topic, partitionLimitation: partitionLimitationText,
            tls: tls, unsafeSsl: unsafeSsl, credentials: credentials, sasl: saslContext
        )
        let errors = fieldErrors + (validationError.map { [$0] } ?? [])
        guard errors.isEmpty else {
            // parseKafkaMetadata and NewKafkaScaler each wrap the joined errors.
            throw invalid(Self.metadataPrefix + errors.joined(separator: "\n"))
        }

        var kafkaVersion = KafkaVersion.defaultVersion
        if let versionText {
            guard let parsed = KafkaVersion(parsing: versionText) else {
                throw invalid("error parsing kafka version: invalid version `\(versionText)`")
            }
            kafkaVersion = parsed
        }
        if security.oauthBearer?.tokenProvider == .awsMSKIAM {
            security.oauthBearer?.awsCredentials = try awsCredentials()
        }
        let source = Source(
            connection: ConnectionSettings(bootstrapServers: brokers, security: security),
            consumerGroup: group, topic: topic
        )
        return Parsed(source: source, scaling: scaling, kafkaVersion: kafkaVersion)
    }

    private struct Credentials {
        var ca, cert, key, keyPassword: String?
    }

    private struct SASLContext {
        var mode: String
        var username, password: String?
        var tokenProvider: String
        var scopes: String
        var tokenEndpoint, extensions: String?
        /// `oauthToken` (ours, not KEDA's): a ready token instead of client credentials.
        var staticToken: String?
        var awsRegion: String
        var keytab, realm, kerberosConfig: String?
        var kerberosServiceName: String
        var kerberosDisableFAST: Bool
    }

    /// KEDA's `Validate()`: the first failing check's message, or `nil`.
    private static func validate(
        _ scaling: inout ScalingParameters, _ security: inout SecuritySettings, topic: String,
        partitionLimitation: String?, tls: String, unsafeSsl: Bool, credentials: Credentials, sasl: SASLContext
    ) -> String? {
        if scaling.lagThreshold <= 0 { return "\"lagThreshold\" must be positive number" }
        if scaling.activationLagThreshold < 0 { return "\"activationLagThreshold\" must be a non-negative number" }
        if let partitionLimitation {
            do {
                scaling.partitionLimitation = try PartitionLimitation.parse(partitionLimitation)
            } catch {
                return error.message
            }
        }
        if topic.isEmpty { scaling.partitionLimitation = nil }
        if scaling.allowIdleConsumers && scaling.limitToPartitionsWithLag {
            return "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously"
        }
        if topic.isEmpty && scaling.limitToPartitionsWithLag {
            return "topic must be specified when using limitToPartitionsWithLag"
        }
        if scaling.limitToPartitionsWithLag && scaling.ensureEvenDistributionOfPartitions {
            return "limitToPartitionsWithLag and ensureEvenDistributionOfPartitions cannot be set simultaneously"
        }
        if topic.isEmpty && scaling.ensureEvenDistributionOfPartitions {
            return "topic must be specified when using ensureEvenDistributionOfPartitions"
        }
        if tls == "enable" {
            if credentials.cert != nil && credentials.key == nil { return "key must be provided with cert" }
            if credentials.key != nil && credentials.cert == nil { return "cert must be provided with key" }
            security.tls = TLSSettings(
                caPEM: credentials.ca, certPEM: credentials.cert, keyPEM: credentials.key,
                keyPassword: credentials.keyPassword, unsafeSsl: unsafeSsl
            )
        }
        return validateSASL(&security, sasl)
    }

    /// KEDA's `parseSASL()`. Unset, `none` and comma lists that passed the enum
    /// check leave SASL off, as in KEDA.
    private static func validateSASL(_ security: inout SecuritySettings, _ sasl: SASLContext) -> String? {
        switch sasl.mode {
        case "plaintext", "scram_sha256", "scram_sha512":
            guard sasl.username != nil else { return "no username given" }
            guard sasl.password != nil else { return "no password given" }
            security.sasl = SecuritySettings.SASLMechanism(rawValue: sasl.mode)
            security.username = sasl.username
            security.password = sasl.password
        case "oauthbearer":
            switch validateOAuth(tlsEnabled: security.tls != nil, sasl) {
            case .success(let settings):
                security.sasl = .oauthbearer
                security.oauthBearer = settings
                if settings.tokenProvider != .awsMSKIAM {
                    security.username = sasl.username
                    security.password = sasl.password
                }
            case .failure(let message):
                return "error parsing OAuth token provider configuration: \(message.text)"
            }
        case "gssapi":
            guard let username = sasl.username else { return "no username given" }
            guard (sasl.password == nil) != (sasl.keytab == nil) else {
                return "exactly one of 'password' or 'keytab' must be provided for GSSAPI authentication"
            }
            guard let realm = sasl.realm else { return "no realm given" }
            guard let kerberosConfig = sasl.kerberosConfig else { return "no Kerberos configuration file (kerberosConfig) given" }
            // The principal reaches kinit's command line: Kerberos name characters only.
            guard Self.isKerberosName(username, allowingInstance: true), Self.isKerberosName(realm, allowingInstance: false) else {
                return "username and realm must be Kerberos names (letters, digits, '.', '_', '-', one '/' before an instance)"
            }
            security.sasl = .gssapi
            security.username = username
            security.password = sasl.password
            security.gssapi = GSSAPISettings(
                realm: realm, kerberosConfig: kerberosConfig, keytab: sasl.keytab,
                serviceName: sasl.kerberosServiceName, disableFAST: sasl.kerberosDisableFAST
            )
        default:
            break
        }
        return nil
    }

    private struct Message: Error {
        var text: String
    }

    private static func isKerberosName(_ name: String, allowingInstance: Bool) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, parts.count <= (allowingInstance ? 2 : 1) else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty
                && part.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: "-")
                }
        }
    }

    /// KEDA's `parseOAuthParams()`.
    private static func validateOAuth(tlsEnabled: Bool, _ sasl: SASLContext) -> Result<OAuthBearerSettings, Message> {
        switch sasl.tokenProvider {
        case "", "bearer":
            if sasl.staticToken == nil {
                guard sasl.username != nil else { return .failure(Message(text: "no username given")) }
                guard sasl.password != nil else { return .failure(Message(text: "no password given")) }
                guard sasl.tokenEndpoint != nil else { return .failure(Message(text: "no oauth token endpoint uri given")) }
            }
            var extensions: [String: String] = [:]
            for item in sasl.extensions.map({ GoSyntax.split($0, ",") }) ?? [] {
                let pair = GoSyntax.split(item, "=")
                guard pair.count == 2 else {
                    return .failure(Message(text: "invalid OAuthBearer extension, must be of format key=value"))
                }
                extensions[pair[0]] = pair[1]
            }
            return .success(
                OAuthBearerSettings(
                    tokenProvider: .bearer, tokenEndpointURI: sasl.tokenEndpoint ?? "",
                    scopes: GoSyntax.split(sasl.scopes, ","), extensions: extensions, staticToken: sasl.staticToken
                ))
        case "aws_msk_iam":
            guard tlsEnabled else { return .failure(Message(text: "TLS is required for AWS MSK authentication")) }
            guard !sasl.awsRegion.isEmpty else { return .failure(Message(text: "no awsRegion given")) }
            return .success(OAuthBearerSettings(tokenProvider: .awsMSKIAM, awsRegion: sasl.awsRegion))
        default:
            return .success(OAuthBearerSettings(tokenProvider: .unrecognized(sasl.tokenProvider)))
        }
    }

    /// KEDA's `GetAwsAuthorization` without pod identity (which needs
    /// TriggerAuthentication): a role, else static keys from the profile, else
    /// keys from metadata; `identityOwner: operator` uses the scaler's own chain.
    private func awsCredentials() throws(KafkaLagError) -> AWSCredentials {
        let owner = lookup("identityOwner", Self.metadataOnly)
        guard owner == nil || owner == "pod" else { return .ambient }
        if let arn = lookup("awsRoleArn", Self.credential) {
            return .role(arn: arn)
        }
        let profileKeyID = lookup("awsAccessKeyID", [.profile]) ?? lookup("awsAccessKeyId", [.profile])
        if let profileKeyID, let secret = lookup("awsSecretAccessKey", [.profile]) {
            return .staticKeys(accessKeyID: profileKeyID, secretAccessKey: secret, sessionToken: lookup("awsSessionToken", [.profile]))
        }
        guard let keyID = lookup("awsAccessKeyID", Self.metadataOrEnv) else {
            throw invalid("error getting AWS authorization: awsAccessKeyID not found")
        }
        guard let secret = lookup("awsSecretAccessKey", Self.metadataOrEnv) else {
            throw invalid("error getting AWS authorization: awsSecretAccessKey not found")
        }
        return .staticKeys(accessKeyID: keyID, secretAccessKey: secret, sessionToken: lookup("awsSessionToken", Self.credential))
    }
}
