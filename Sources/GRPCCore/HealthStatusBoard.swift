import Synchronization

/// The statuses `grpc.health.v1.Health` reports: `""` for the whole server plus each
/// service by full name (exact match, no wildcards). Watchers learn of every change; once
/// shutdown begins every status is NOT_SERVING and stays so.
public final class HealthStatusBoard: Sendable {
    private struct Watcher {
        let service: String
        let continuation: AsyncStream<ServingStatus>.Continuation
    }

    private struct State {
        var statuses: [String: ServingStatus] = [:]
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        var isShuttingDown = false
    }

    private let state = Mutex(State())

    /// Makes an empty board (only registered names are known).
    public init() {}

    /// The status of `service`, or nil when it is not registered (Check answers NOT_FOUND).
    public func status(of service: String) -> ServingStatus? {
        state.withLock { $0.statuses[service] }
    }

    /// Sets (or registers) a service's status and tells its watchers. Ignored once shutdown
    /// began, so nothing flips back to SERVING while the server drains.
    public func setStatus(_ status: ServingStatus, for service: String) {
        let toNotify: [AsyncStream<ServingStatus>.Continuation] = state.withLock { state in
            guard !state.isShuttingDown else { return [] }
            return Self.update(&state, service: service, to: status)
        }
        for continuation in toNotify { continuation.yield(status) }
    }

    /// Marks every service NOT_SERVING for good and pushes that to watchers.
    public func enterShutdown() {
        let toNotify: [AsyncStream<ServingStatus>.Continuation] = state.withLock { state in
            guard !state.isShuttingDown else { return [] }
            var notify: [AsyncStream<ServingStatus>.Continuation] = []
            for service in state.statuses.keys {
                notify += Self.update(&state, service: service, to: .notServing)
            }
            state.isShuttingDown = true
            return notify
        }
        for continuation in toNotify { continuation.yield(.notServing) }
    }

    /// A stream that yields the current status at once (SERVICE_UNKNOWN if unregistered), then
    /// each new status. It ends when the consumer stops iterating (e.g. its task is cancelled).
    public func watch(_ service: String) -> AsyncStream<ServingStatus> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ServingStatus.self,
            bufferingPolicy: .bufferingNewest(8)
        )
        let id: Int = state.withLock { state in
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(service: service, continuation: continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The number of open watchers (tests check that cancelled watches are released).
    public var watcherCount: Int { state.withLock { $0.watchers.count } }

    private static func update(
        _ state: inout State,
        service: String,
        to status: ServingStatus
    ) -> [AsyncStream<ServingStatus>.Continuation] {
        guard state.statuses.updateValue(status, forKey: service) != status else { return [] }
        return state.watchers.values.filter { $0.service == service }.map(\.continuation)
    }
}
