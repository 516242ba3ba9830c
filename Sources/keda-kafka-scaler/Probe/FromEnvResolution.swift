/// KEDA's `…FromEnv` rule for external triggers: every metadata key ending in
/// `FromEnv` names an environment variable of the scale target's container; when that
/// variable is set and non-empty, KEDA sends the same key with the variable's value
/// (untrimmed, not renamed), otherwise it leaves the key out without an error.
/// `probe --resolve-from-env` applies it with its own environment standing in for
/// the container's, so a trigger copied from a ScaledObject reaches the scaler as
/// KEDA would send it.
struct FromEnvResolution: Equatable {
    /// The metadata as KEDA sends it.
    var metadata: [String: String]
    /// `…FromEnv` keys left out because their variable was unset or empty, sorted.
    var omitted: [String]

    static let suffix = "FromEnv"

    init(_ metadata: [String: String], environment: [String: String]) {
        var resolved: [String: String] = [:]
        var omitted: [String] = []
        for (key, value) in metadata {
            guard key.hasSuffix(Self.suffix) else {
                resolved[key] = value
                continue
            }
            if let variable = environment[value], !variable.isEmpty {
                resolved[key] = variable
            } else {
                omitted.append(key)
            }
        }
        self.metadata = resolved
        self.omitted = omitted.sorted()
    }
}
