public import KafkaLag

/// Shared Kafka connections (DESIGN.md §4): one handle per distinct
/// ``ConnectionSettings``, reference-counted by the entries pinned to it and by
/// reads in flight, rebuilt with backoff after failures, and closed after an idle
/// period. A handle is opened by the first read, never by a pin alone (so
/// `GetMetricSpec` does no Kafka I/O). Pure bookkeeping over handles the caller
/// creates and closes.
public struct ConnectionPool<Handle: AnyObject & Sendable>: Sendable {
    public typealias Configuration = ConnectionPoolConfiguration

    /// A connection as `/registry` lists it.
    public struct Snapshot: Sendable, Hashable {
        public var settings: ConnectionSettings
        public var entries: Int
        public var inFlight: Int
        /// A handle exists (a read opened it and no idle sweep closed it since).
        public var open: Bool
        public var backingOff: Bool
        public var idleSince: RegistryInstant?
    }

    /// Whether a rebuild may open a handle now.
    public enum RebuildStart: Sendable, Equatable {
        /// Open a handle and hand it to ``finishRebuild(_:with:)``.
        case open
        /// Rebuilt too recently: wait.
        case backingOff(until: RegistryInstant?)
    }

    private struct Slot {
        var handle: Handle?
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
        slots.values.filter { $0.handle != nil }.count + leases.values.filter(\.retired).count
    }

    /// Distinct connections pinned or open.
    public var connectionCount: Int { slots.count }

    /// Whether `settings` is pinned or open already (pinning it again adds no connection).
    public func holds(_ settings: ConnectionSettings) -> Bool { slots[settings] != nil }

    /// An entry pins `settings`.
    public mutating func retain(_ settings: ConnectionSettings) {
        slots[settings, default: Slot(backoff: RebuildBackoff(configuration: configuration.rebuildBackoff))].entries += 1
        slots[settings]?.idleSince = nil
    }

    /// An entry no longer pins `settings`. The handle stays open for the idle timeout.
    public mutating func release(_ settings: ConnectionSettings, at now: RegistryInstant) {
        guard var slot = slots[settings] else { return }
        slot.entries = max(0, slot.entries - 1)
        if slot.entries == 0, slot.handle.map(leaseCount) ?? 0 == 0 { slot.idleSince = now }
        slots[settings] = slot
    }

    /// Borrows the open handle of `settings` for one read (end it with
    /// ``endLease(_:at:)``); nil when none is open: open one outside any lock, then
    /// ``install(_:for:)``.
    public mutating func lease(_ settings: ConnectionSettings) -> Handle? {
        guard let handle = slots[settings]?.handle else { return nil }
        slots[settings]?.idleSince = nil
        leases[ObjectIdentifier(handle), default: Lease(handle: handle, settings: settings, count: 0, retired: false)].count += 1
        return handle
    }

    /// Makes `handle`, just opened for `settings`, its handle and lends it for one read.
    /// Returns the handle lent, and `handle` itself as surplus to close when another
    /// was installed meanwhile (that one is lent instead).
    public mutating func install(_ handle: Handle, for settings: ConnectionSettings) -> (lent: Handle, surplus: Handle?) {
        if let lent = lease(settings) { return (lent, handle) }
        slots[settings, default: Slot(backoff: RebuildBackoff(configuration: configuration.rebuildBackoff))].handle = handle
        return (lease(settings) ?? handle, nil)
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

    /// Whether `settings` may be rebuilt now (a failure happened): if so the attempt
    /// counts for the backoff, and the caller opens a handle outside any lock and hands
    /// it to ``finishRebuild(_:with:)``; else when the next attempt is due.
    public mutating func startRebuild(_ settings: ConnectionSettings, at now: RegistryInstant) -> RebuildStart {
        guard var slot = slots[settings] else { return .backingOff(until: nil) }
        defer { slots[settings] = slot }
        return slot.backoff.attempt(at: now) ? .open : .backingOff(until: slot.backoff.notBefore)
    }

    /// Installs the handle a rebuild opened. Returns a handle to close now: the replaced
    /// one when no read uses it (else it closes when its last read ends), or `fresh`
    /// itself when no entry holds `settings` any more.
    public mutating func finishRebuild(_ settings: ConnectionSettings, with fresh: Handle) -> Handle? {
        guard var slot = slots[settings] else { return fresh }
        let old = slot.handle
        slot.handle = fresh
        slots[settings] = slot
        guard let old else { return nil }
        let oldID = ObjectIdentifier(old)
        if leases[oldID] != nil {
            leases[oldID]?.retired = true
            return nil
        }
        return old
    }

    /// Removes handles idle for longer than the idle timeout and returns them to close.
    public mutating func sweep(at now: RegistryInstant) -> [Handle] {
        var closed: [Handle] = []
        for (settings, slot) in slots {
            guard let idleSince = slot.idleSince, now.monotonic - idleSince.monotonic >= configuration.idleTimeout else { continue }
            slots[settings] = nil
            if let handle = slot.handle { closed.append(handle) }
        }
        return closed
    }

    /// Stops lending the handles `mustRetire` picks; returns those no read uses, to
    /// close now (the others close when their last read ends). The next read through
    /// the same settings opens a new handle.
    public mutating func retire(where mustRetire: (Handle) -> Bool) -> [Handle] {
        var closed: [Handle] = []
        for (settings, slot) in slots {
            guard let handle = slot.handle, mustRetire(handle) else { continue }
            slots[settings]?.handle = nil
            let id = ObjectIdentifier(handle)
            if leases[id] != nil {
                leases[id]?.retired = true
            } else {
                closed.append(handle)
            }
        }
        return closed
    }

    /// Removes every handle (shutdown) and returns them to close.
    public mutating func drain() -> [Handle] {
        let all = slots.values.compactMap(\.handle) + leases.values.filter(\.retired).map(\.handle)
        slots = [:]
        leases = [:]
        return all
    }

    /// Every open connection, for `/registry`.
    public var snapshots: [Snapshot] {
        slots.map { settings, slot in
            Snapshot(
                settings: settings, entries: slot.entries, inFlight: slot.handle.map(leaseCount) ?? 0,
                open: slot.handle != nil, backingOff: slot.backoff.notBefore != nil, idleSince: slot.idleSince)
        }
    }

    private func leaseCount(_ handle: Handle) -> Int {
        leases[ObjectIdentifier(handle)]?.count ?? 0
    }
}

/// Connection-pool behaviour.
public struct ConnectionPoolConfiguration: Sendable, Hashable {
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
