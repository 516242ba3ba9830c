import NIOCore
import Synchronization

/// The open connections of one server, so that shutdown can reach each of them on its own
/// event loop and the server can wait until all are gone.
final class ConnectionTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: NIOLoopBound<GRPCConnectionHandler>] = [:]
        var goAwayDelay: Duration?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Adds a connection; returns the GOAWAY delay if shutdown already began (the caller
    /// starts draining at once).
    func add(_ id: ObjectIdentifier, _ connection: NIOLoopBound<GRPCConnectionHandler>) -> Duration? {
        state.withLock { state in
            state.connections[id] = connection
            return state.goAwayDelay
        }
    }

    /// Removes a closed connection.
    func remove(_ id: ObjectIdentifier) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.connections[id] = nil
            guard state.connections.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The number of open connections.
    var count: Int { state.withLock { $0.connections.count } }

    /// Starts the two-step GOAWAY drain on every connection.
    func beginGracefulShutdown(goAwayDelay: Duration) {
        let connections = state.withLock { state in
            state.goAwayDelay = goAwayDelay
            return Array(state.connections.values)
        }
        for connection in connections {
            connection.execute { $0.beginGracefulShutdown(goAwayDelay: goAwayDelay) }
        }
    }

    /// Closes every connection now.
    func closeAll() {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections {
            connection.execute { $0.forceClose() }
        }
    }

    /// Returns once no connection is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let isEmpty = state.withLock { state in
                if state.connections.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if isEmpty { continuation.resume() }
        }
    }
}
