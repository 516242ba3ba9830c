/// Identifies one trigger: KEDA sends no trigger index, so several Kafka triggers of
/// one ScaledObject are told apart by their `triggerName` metadata key.
///
/// Every request looks its entry up at least twice under the registry lock, so the
/// key hashes its three strings once, when it is made, and lookups feed that one value.
public struct RegistryKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let namespace: String
    public let name: String
    public let triggerName: String
    private let hashCode: Int

    public init(namespace: String, name: String, triggerName: String = "") {
        self.namespace = namespace
        self.name = name
        self.triggerName = triggerName
        var hasher = Hasher()
        hasher.combine(namespace)
        hasher.combine(name)
        hasher.combine(triggerName)
        self.hashCode = hasher.finalize()
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.hashCode == rhs.hashCode && lhs.namespace == rhs.namespace && lhs.name == rhs.name && lhs.triggerName == rhs.triggerName
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hashCode)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name, lhs.triggerName) < (rhs.namespace, rhs.name, rhs.triggerName)
    }

    public var description: String {
        triggerName.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name)#\(triggerName)"
    }
}
