/// Identifies one trigger: KEDA sends no trigger index, so several Kafka triggers of
/// one ScaledObject are told apart by their `triggerName` metadata key.
public struct RegistryKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var triggerName: String

    public init(namespace: String, name: String, triggerName: String = "") {
        self.namespace = namespace
        self.name = name
        self.triggerName = triggerName
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name, lhs.triggerName) < (rhs.namespace, rhs.name, rhs.triggerName)
    }

    public var description: String {
        triggerName.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name)#\(triggerName)"
    }
}
