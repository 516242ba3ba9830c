public import KafkaLag
import Synchronization

/// Turns `scalerMetadata` into a ``KafkaTrigger``, for requests and for the registry's
/// own re-resolutions: resolution lives with the pins. Auth profiles are read from disk
/// once and then only when the registry re-resolves a source after a failure or on
/// reload (DESIGN.md §4: changed profile files are picked up then, not before). Parsed
/// triggers are cached by the caller, per interned request, against ``generation``: one
/// cache, one generation counter.
public final class TriggerResolver: SourceResolver {
    private struct State {
        var profiles: [String: [String: String]] = [:]
    }

    private let directory: AuthProfileDirectory
    /// `--allowed-bootstrap-servers`: when set, no other broker is ever dialled.
    private let allowedBrokers: [BrokerPattern]?
    /// `--aws-operator-credentials`: whether `identityOwner: operator` may sign MSK IAM
    /// tokens with the scaler's own AWS credentials.
    private let allowOperatorAWSCredentials: Bool
    private let state = Mutex(State())
    /// Moves on with every re-resolution, only under `state`'s lock, so a parse begun at an
    /// older value caches no profile; requests read it without the lock.
    private let generations = Atomic<UInt64>(0)

    /// Reads profiles from `directory` (`--auth-profiles`); when `allowedBrokers` is
    /// given, a trigger naming any other bootstrap server is refused; the scaler's own
    /// AWS credentials sign tokens only when `allowOperatorAWSCredentials`.
    public init(directory: AuthProfileDirectory, allowedBrokers: [BrokerPattern]? = nil, allowOperatorAWSCredentials: Bool = false) {
        self.directory = directory
        self.allowedBrokers = allowedBrokers
        self.allowOperatorAWSCredentials = allowOperatorAWSCredentials
    }

    /// Changes whenever a re-resolution drops cached profiles: a trigger resolved at an
    /// older generation may carry credentials from profile files read before it. Read it
    /// before resolving, and keep it with the trigger.
    public var generation: UInt64 {
        generations.load(ordering: .acquiring)
    }

    /// The trigger for `metadata`; invalid metadata throws with KEDA's message.
    public func trigger(for metadata: [String: String]) throws(KafkaLagError) -> KafkaTrigger {
        try KafkaTrigger(metadata: metadata, authProfiles: CachedProfiles(resolver: self, generation: generation))
    }

    /// The trigger for `metadata` used from `namespace`: the server's allowed brokers and
    /// the profile's scope must allow it (PERMISSION_DENIED before any socket opens).
    public func trigger(for metadata: [String: String], namespace: String) throws(KafkaLagError) -> KafkaTrigger {
        let trigger = try trigger(for: metadata)
        if let allowedBrokers, let broker = BrokerPattern.firstOutside(trigger.source.connection.bootstrapServers, allowedBrokers) {
            throw KafkaLagError(.permissionDenied, "bootstrap server \(broker.debugDescription) is not in --allowed-bootstrap-servers")
        }
        // Any caller could otherwise have the scaler sign a kafka-cluster:Connect token with
        // its own identity and send it to a broker of the caller's choosing.
        switch trigger.source.connection.security.oauthBearer?.awsCredentials {
        case .ambient where !allowOperatorAWSCredentials:
            throw KafkaLagError(
                .permissionDenied,
                "identityOwner operator would sign with the scaler's own AWS credentials, which --aws-operator-credentials does not allow")
        case .role where !allowOperatorAWSCredentials:
            throw KafkaLagError(
                .permissionDenied,
                "awsRoleArn would be assumed with the scaler's own AWS credentials, which --aws-operator-credentials does not allow")
        default:
            break
        }
        try trigger.profileScope?.check(namespace: namespace)
        return trigger
    }

    func profileName(in metadata: [String: String]) -> String? {
        KafkaTrigger.authProfileName(in: metadata)
    }

    func profileStamp(_ name: String) -> String? {
        directory.stamp(named: name)
    }

    /// Re-reads the auth profile `metadata` names, then resolves it afresh.
    func reResolve(_ metadata: [String: String], namespace: String) throws(KafkaLagError) -> Source {
        let name = KafkaTrigger.authProfileName(in: metadata)
        state.withLock { state in
            if let name { state.profiles[name] = nil }
            generations.add(1, ordering: .releasing)
        }
        return try trigger(for: metadata, namespace: namespace).source
    }

    fileprivate func profile(named name: String, generation: UInt64) throws(KafkaLagError) -> [String: String] {
        if let cached = state.withLock({ $0.profiles[name] }) { return cached }
        let profile = try directory.profile(named: name)
        state.withLock { state in
            if self.generation == generation { state.profiles[name] = profile }
        }
        return profile
    }
}

/// The resolver's profile cache as an ``AuthProfileProvider`` for one parse. A missing
/// profile is not cached, so one created later is found on the next request.
private struct CachedProfiles: AuthProfileProvider {
    let resolver: TriggerResolver
    /// The resolver's generation when the parse began.
    let generation: UInt64

    func profile(named name: String) throws(KafkaLagError) -> [String: String] {
        try resolver.profile(named: name, generation: generation)
    }
}
