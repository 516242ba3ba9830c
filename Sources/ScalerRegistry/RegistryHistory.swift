import KafkaLag

/// What operators see at `GET /registry/history`: each matching entry's last events,
/// oldest first, with sources shown by fingerprint only (no secret can appear).
public struct RegistryHistory: Sendable, Encodable {
    public struct Event: Sendable, Encodable, Hashable {
        public var at: String
        public var event: String
        public var version: UInt64
        public var fingerprint: String
        public var fromVersion: UInt64?
        public var fromFingerprint: String?
        public var reason: String?
        public var message: String?
    }

    public struct Entry: Sendable, Encodable, Hashable {
        public var namespace: String
        public var name: String
        public var triggerName: String
        public var events: [Event]
    }

    public var entries: [Entry]
}

extension RegistryHistory {
    /// Built from copies taken under the registry's lock, outside it (fingerprints are HMACs).
    init(_ histories: [(RegistryKey, EntryHistory)]) {
        entries = histories.sorted { $0.0 < $1.0 }.map { key, history in
            Entry(
                namespace: key.namespace, name: key.name, triggerName: key.triggerName,
                events: history.events.map { event in
                    Event(
                        at: RegistryStatus.timestamp(event.at), event: event.kind.rawValue, version: event.version,
                        fingerprint: event.source.fingerprint, fromVersion: event.from?.version, fromFingerprint: event.from?.source.fingerprint,
                        reason: event.reason?.rawValue, message: event.message
                    )
                })
        }
    }
}
