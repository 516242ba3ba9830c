public import KafkaLag

/// The source an entry serves from, at the version that pinned it.
public struct PinnedSource: Sendable, Hashable {
    public var version: UInt64
    public var source: Source
    /// Raw trigger metadata that resolved to `source`, kept to re-resolve it
    /// (auth-profile files included) after a failure or on reload.
    public var metadata: [String: String]
    /// Increases with every pin of the entry: results of reads started under an
    /// older pin never change the current one.
    public var generation: UInt64
    public var since: RegistryInstant
}

/// A source seen at the pinned version that differs from the pinned one: visible,
/// but not used until a version bump, a failure or a reload.
public struct PendingSource: Sendable, Hashable {
    public var source: Source
    public var metadata: [String: String]
    public var since: RegistryInstant
}
