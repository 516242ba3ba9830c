/// One `external` trigger's metadata after parsing: where lag is read (the
/// ``Source``, which the registry pins at `configVersion`), how it becomes a
/// metric (``ScalingParameters``, applied per request), and this scaler's own keys.
public struct KafkaTrigger: Hashable, Sendable {
    /// Brokers, security and credentials, consumer group, topic.
    public var source: Source
    /// Thresholds and flags of the lag rules.
    public var scaling: ScalingParameters
    /// The validated `version` key (sarama's default `1.0.0` when absent).
    public var kafkaVersion: KafkaVersion
    /// `configVersion`: the version the source is pinned at (DESIGN.md §4).
    public var configVersion: UInt64
    /// `triggerName`: tells apart several Kafka triggers of one ScaledObject.
    public var triggerName: String
    /// `authProfile`: the server-side profile the credentials came from, if any.
    public var authProfile: String?
    /// `pushInterval`: how often `StreamIsActive` re-checks activity.
    public var pushInterval: Duration
    /// `rollout` and `rolloutObservations`: how a bump of `configVersion` takes effect.
    public var rollout: RolloutPolicy
    /// The scope of the auth profile, checked against each request's namespace
    /// (brokers and transport were checked while parsing).
    public var profileScope: AuthProfileScope?

    public init(
        source: Source, scaling: ScalingParameters, kafkaVersion: KafkaVersion = .defaultVersion,
        configVersion: UInt64 = 0, triggerName: String = "", authProfile: String? = nil,
        pushInterval: Duration = .seconds(5), rollout: RolloutPolicy = .immediate
    ) {
        self.source = source
        self.scaling = scaling
        self.kafkaVersion = kafkaVersion
        self.configVersion = configVersion
        self.triggerName = triggerName
        self.authProfile = authProfile
        self.pushInterval = pushInterval
        self.rollout = rollout
    }

    /// Parses `scalerMetadata` as KEDA ≥ 2.20 parses the in-tree trigger, with the
    /// credentials of the profile that `authProfile` names. Invalid metadata throws
    /// ``KafkaLagError/Code/invalidMetadata`` with KEDA's message; nothing is read
    /// but the profile.
    public init(metadata: [String: String], authProfiles: some AuthProfileProvider) throws(KafkaLagError) {
        let ownKeys = try TriggerOwnKeys(metadata: metadata)
        var profile: [String: String] = [:]
        if let name = ownKeys.authProfile {
            profile = try authProfiles.profile(named: name)
        }
        try self.init(metadata: metadata, profile: profile, ownKeys: ownKeys)
    }

    /// The auth profile `metadata` names, read as parsing reads it (so a resolver
    /// re-reads exactly the profile a trigger uses).
    public static func authProfileName(in metadata: [String: String]) -> String? {
        TriggerOwnKeys.value("authProfile", in: metadata)
    }

    /// Parses `scalerMetadata` with an already loaded auth profile (`[:]` for none):
    /// the profile plays TriggerAuthentication's part.
    public init(metadata: [String: String], profile: [String: String]) throws(KafkaLagError) {
        try self.init(metadata: metadata, profile: profile, ownKeys: TriggerOwnKeys(metadata: metadata))
    }

    /// Bootstrap servers one source may list: librdkafka starts a thread per broker, so a
    /// list of thousands is a request that costs the process thousands of threads.
    public static let maximumBootstrapServers = 100

    /// With a profile, its scope is checked before its credentials go anywhere:
    /// transport rules before parsing, brokers after.
    private init(metadata: [String: String], profile: [String: String], ownKeys: TriggerOwnKeys) throws(KafkaLagError) {
        let scope = try ownKeys.authProfile.map { name throws(KafkaLagError) in try AuthProfileScope(profile: name, keys: profile) }
        try scope?.check(metadata: metadata, profileKeys: profile)
        var parser = KafkaMetadataParser(metadata: metadata, profile: profile)
        let parsed = try parser.parse()
        let brokers = parsed.source.connection.bootstrapServers
        guard brokers.count <= Self.maximumBootstrapServers else {
            throw KafkaLagError(
                .invalidMetadata, "bootstrapServers lists \(brokers.count) brokers; at most \(Self.maximumBootstrapServers) are accepted")
        }
        try scope?.check(brokers: brokers)
        self.init(
            source: parsed.source, scaling: parsed.scaling, kafkaVersion: parsed.kafkaVersion,
            configVersion: ownKeys.configVersion, triggerName: ownKeys.triggerName,
            authProfile: ownKeys.authProfile, pushInterval: ownKeys.pushInterval, rollout: ownKeys.rollout
        )
        profileScope = scope
    }

    /// The metric name `GetMetricSpec` returns and `GetMetrics` is asked for.
    public var metricName: String {
        MetricName.forTrigger(topic: source.topic, consumerGroup: source.consumerGroup)
    }
}
