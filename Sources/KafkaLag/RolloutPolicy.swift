/// How a `configVersion` bump takes effect (trigger metadata `rollout`): at once, or
/// only after the new source has proven itself beside the pinned one, so a bump to a
/// broken source (a typo in `bootstrapServers`, a wrong password) never stops scaling.
public enum RolloutPolicy: Hashable, Sendable {
    /// `rollout: immediate` (the default): the bump swaps the pin at once.
    case immediate
    /// `rollout: shadow`: the new source is read beside the pinned one, and pinned after
    /// `observations` consecutive successful reads (`rolloutObservations`, default 3).
    case shadow(observations: Int)

    /// `rolloutObservations` when absent.
    public static let defaultObservations = 3
    /// More than this many reads prove nothing more and delay a swap for minutes.
    public static let maximumObservations: Int64 = 100

    /// The policy `metadata` asks for; an unknown `rollout` or an out-of-range
    /// `rolloutObservations` names the key. `rolloutObservations` is checked even with
    /// `rollout: immediate`, so a typo shows before the key matters.
    init(metadata: [String: String]) throws(KafkaLagError) {
        var observations = Self.defaultObservations
        if let text = TriggerOwnKeys.value("rolloutObservations", in: metadata) {
            guard case .success(let parsed) = GoJSONInteger.parse(text), (1...Self.maximumObservations).contains(parsed) else {
                throw KafkaLagError(
                    .invalidMetadata,
                    "invalid \"rolloutObservations\" value \(GoSyntax.quote(text)): must be an integer from 1 to \(Self.maximumObservations)"
                )
            }
            observations = Int(parsed)
        }
        switch TriggerOwnKeys.value("rollout", in: metadata) {
        case nil, "immediate":
            self = .immediate
        case "shadow":
            self = .shadow(observations: observations)
        case let text?:
            throw KafkaLagError(.invalidMetadata, "invalid \"rollout\" value \(GoSyntax.quote(text)): must be immediate or shadow")
        }
    }
}
