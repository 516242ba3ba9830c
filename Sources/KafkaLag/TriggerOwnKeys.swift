/// The keys this scaler adds to KEDA's (DESIGN.md §3.2). Checked before KEDA's own
/// keys; a bad value names the key.
struct TriggerOwnKeys: Hashable, Sendable {
    var configVersion: UInt64
    var triggerName: String
    var authProfile: String?
    var pushInterval: Duration
    var rollout: RolloutPolicy

    /// One day: longer intervals are surely typos, and bounding the value keeps
    /// clock arithmetic on it far from overflow.
    static let maximumPushInterval: Int64 = 86_400
    /// A billion versions: room for a bump per second for 30 years, while a caller can
    /// no longer push an entry to the end of the range where no real bump could follow.
    static let maximumConfigVersion: Int64 = 1_000_000_000

    /// A key's value as every key is read: trimmed, blank meaning absent.
    static func value(_ key: String, in metadata: [String: String]) -> String? {
        metadata[key].map(GoSyntax.trimSpace).flatMap { $0.isEmpty ? nil : $0 }
    }

    init(metadata: [String: String]) throws(KafkaLagError) {
        func value(_ key: String) -> String? { Self.value(key, in: metadata) }
        configVersion = 0
        if let text = value("configVersion") {
            guard case .success(let parsed) = GoJSONInteger.parse(text), (0...Self.maximumConfigVersion).contains(parsed) else {
                throw KafkaLagError(
                    .invalidMetadata,
                    "invalid \"configVersion\" value \(GoSyntax.quote(text)): must be an integer from 0 to \(Self.maximumConfigVersion)"
                )
            }
            configVersion = UInt64(parsed)
        }
        pushInterval = .seconds(5)
        if let text = value("pushInterval") {
            guard case .success(let seconds) = GoJSONInteger.parse(text), (1...Self.maximumPushInterval).contains(seconds) else {
                throw KafkaLagError(
                    .invalidMetadata,
                    "invalid \"pushInterval\" value \(GoSyntax.quote(text)): must be an integer number of seconds from 1 to \(Self.maximumPushInterval)"
                )
            }
            pushInterval = .seconds(seconds)
        }
        rollout = try RolloutPolicy(metadata: metadata)
        triggerName = value("triggerName") ?? ""
        authProfile = value("authProfile")
    }
}
