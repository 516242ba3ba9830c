import KafkaLag

/// Who may use a librdkafka handle, and when it may be destroyed: a close
/// waits for queries in flight, because `rd_kafka_destroy` under a running
/// `rd_kafka_offsets_for_times` would free memory that call still uses.
///
/// A state machine: each event returns the action its caller must perform
/// outside the lock.
struct HandleLifecycle: Sendable {
    private enum State: Sendable {
        case open(inFlight: Int)
        case closing(inFlight: Int, waiters: [CheckedContinuation<Void, Never>])
        case closed
    }

    /// What to do once the lock is released.
    enum Action: Sendable {
        case none
        /// Destroy the handle now, then resume these callers of `close`.
        case destroy(waiters: [CheckedContinuation<Void, Never>])
        /// Already destroyed: resume this caller of `close` at once.
        case resume(CheckedContinuation<Void, Never>)
    }

    private var state = State.open(inFlight: 0)

    /// A query wants the handle; `false` once closing began.
    mutating func enter() -> Bool {
        guard case .open(let inFlight) = state else { return false }
        state = .open(inFlight: inFlight + 1)
        return true
    }

    /// A query that `enter`ed is done with the handle.
    mutating func exit() -> Action {
        switch state {
        case .open(let inFlight):
            state = .open(inFlight: inFlight - 1)
            return .none
        case .closing(let inFlight, let waiters) where inFlight == 1:
            state = .closed
            return .destroy(waiters: waiters)
        case .closing(let inFlight, let waiters):
            state = .closing(inFlight: inFlight - 1, waiters: waiters)
            return .none
        case .closed:
            return .none
        }
    }

    /// Close requested; `waiter` (if any) is resumed once the handle is destroyed.
    mutating func close(waiter: CheckedContinuation<Void, Never>?) -> Action {
        let newWaiters = waiter.map { [$0] } ?? []
        switch state {
        case .open(let inFlight) where inFlight == 0:
            state = .closed
            return .destroy(waiters: newWaiters)
        case .open(let inFlight):
            state = .closing(inFlight: inFlight, waiters: newWaiters)
            return .none
        case .closing(let inFlight, let waiters):
            state = .closing(inFlight: inFlight, waiters: waiters + newWaiters)
            return .none
        case .closed:
            return waiter.map(Action.resume) ?? .none
        }
    }
}
