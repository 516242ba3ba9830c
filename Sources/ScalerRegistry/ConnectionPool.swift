import KafkaLag

/// Shared Kafka connections (SPEC §5): one handle per distinct
/// ``ConnectionSettings``, reference-counted by the entries pinned to it and by
/// reads in flight, rebuilt with backoff after failures, and closed after an idle
/// period. Pure bookkeeping over handles the caller creates and closes.
public struct ConnectionPool<Handle: AnyObject & Sendable>: Sendable {
    /// Pool behaviour.
    public struct Configuration: Sendable, Hashable {
        /// How long a handle no entry uses stays open, so a brief gap (a swap back
        /// and forth, a ScaledObject re-created) reuses it. Default 5 minutes.
        public var idleTimeout: Duration
        /// Spacing of rebuilds of one connection. Default 1 s doubling to 60 s.
        public var rebuildBackoff: RebuildBackoff.Configuration

        public init(idleTimeout: Duration, rebuildBackoff: RebuildBackoff.Configuration) {
            self.idleTimeout = idleTimeout
            self.rebuildBackoff = rebuildBackoff
        }

        public static var defaults: Self { Self(idleTimeout: .seconds(300), rebuildBackoff: .defaults) }
    }

    /// A connection as `/registry` lists it.
    public struct Snapshot: Sendable, Hashable {
        public var settings: ConnectionSettings
        public var entries: Int
        public var inFlight: Int
        public var backingOff: Bool
        public var idleSince: RegistryInstant?
    }

    /// What a rebuild request did.
    public enum Rebuild {
        /// A new handle serves the settings; close `retired` now if given (else when its reads end).
        case rebuilt(Handle, retired: Handle?)
        /// Rebuilt too recently: wait.
        case backingOff(until: RegistryInstant?)
    }

    private struct Slot {
        var handle: Handle
        var entries = 0
        var backoff: RebuildBackoff
        var idleSince: RegistryInstant?
    }

    private struct Lease {
        var handle: Handle
        var settings: ConnectionSettings
        var count: Int
        var retired: Bool
    }

    public let configuration: Configuration
    private var slots: [ConnectionSettings: Slot] = [:]
    private var leases: [ObjectIdentifier: Lease] = [:]

    public init(configuration: Configuration = .defaults) {
        self.configuration = configuration
    }

    /// Open handles, retired ones still finishing reads included.
    public var handleCount: Int {
        slots.count + leases.values.filter(\.retired).count
    }

    /// An entry pins `settings`: share the open handle, or open one with `open`.
    public mutating func retain(_ settings: ConnectionSettings, open: () throws(KafkaLagError) -> Handle) throws(KafkaLagError) {
        if slots[settings] == nil {
            slots[settings] = Slot(handle: try open(), backoff: RebuildBackoff(configuration: configuration.rebuildBackoff))
        }
        slots[settings]?.entries += 1
        slots[settings]?.idleSince = nil
    }

    /// An entry no longer pins `settings`. The handle stays open for the idle timeout.
    public mutating func release(_ settings: ConnectionSettings, at now: RegistryInstant) {
        guard var slot = slots[settings] else { return }
        slot.entries = max(0, slot.entries - 1)
        if slot.entries == 0, leaseCount(slot.handle) == 0 { slot.idleSince = now }
        slots[settings] = slot
    }

    /// Borrows the handle of `settings` for one read; end it with ``endLease(_:at:)``.
    public mutating func lease(_ settings: ConnectionSettings) -> Handle? {
        guard var slot = slots[settings] else { return nil }
        slot.idleSince = nil
        slots[settings] = slot
        let id = ObjectIdentifier(slot.handle)
        leases[id, default: Lease(handle: slot.handle, settings: settings, count: 0, retired: false)].count += 1
        return slot.handle
    }

    /// A read through `handle` ended. Returns the handle if it was retired by a
    /// rebuild and this was its last read: close it.
    public mutating func endLease(_ handle: Handle, at now: RegistryInstant) -> Handle? {
        let id = ObjectIdentifier(handle)
        guard var lease = leases[id] else { return nil }
        lease.count -= 1
        guard lease.count == 0 else {
            leases[id] = lease
            return nil
        }
        leases[id] = nil
        if lease.retired { return handle }
        if var slot = slots[lease.settings], slot.handle === handle, slot.entries == 0 {
            slot.idleSince = now
            slots[lease.settings] = slot
        }
        return nil
    }

    /// A read through `settings` succeeded: the next failure may rebuild at once.
    public mutating func succeeded(_ settings: ConnectionSettings) {
        slots[settings]?.backoff.reset()
    }

    /// Replaces the handle of `settings` after a failure, unless it was rebuilt too recently.
    public mutating func rebuild(_ settings: ConnectionSettings, at now: RegistryInstant, open: () throws(KafkaLagError) -> Handle) throws(KafkaLagError) -> Rebuild {
        guard var slot = slots[settings] else { return .backingOff(until: nil) }
        guard slot.backoff.attempt(at: now) else { return .backingOff(until: slot.backoff.notBefore) }
        let old = slot.handle
        slot.handle = try open()
        slots[settings] = slot
        let oldID = ObjectIdentifier(old)
        if leases[oldID] != nil {
            leases[oldID]?.retired = true
            return .rebuilt(slot.handle, retired: nil)
        }
        return .rebuilt(slot.handle, retired: old)
    }

    /// Removes handles idle for longer than the idle timeout and returns them to close.
    public mutating func sweep(at now: RegistryInstant) -> [Handle] {
        var closed: [Handle] = []
        for (settings, slot) in slots {
            guard let idleSince = slot.idleSince, now.monotonic - idleSince.monotonic >= configuration.idleTimeout else { continue }
            slots[settings] = nil
            closed.append(slot.handle)
        }
        return closed
    }

    /// Removes every handle (shutdown) and returns them to close.
    public mutating func drain() -> [Handle] {
        let all = slots.values.map(\.handle) + leases.values.filter(\.retired).map(\.handle)
        slots = [:]
        leases = [:]
        return all
    }

    /// Every open connection, for `/registry`.
    public var snapshots: [Snapshot] {
        slots.map { settings, slot in
            Snapshot(settings: settings, entries: slot.entries, inFlight: leaseCount(slot.handle),
                     backingOff: slot.backoff.notBefore != nil, idleSince: slot.idleSince)
        }
    }

    private func leaseCount(_ handle: Handle) -> Int {
        leases[ObjectIdentifier(handle)]?.count ?? 0
    }
}
