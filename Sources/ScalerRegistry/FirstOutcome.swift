import Synchronization

/// Resumes a continuation with whichever of several racing outcomes comes first (a read's
/// result or a caller's deadline); later ones are dropped.
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Value, Never>?)
        case done
    }

    private let state = Mutex(State.waiting(nil))

    /// The continuation to resume; an outcome that came first resumes it at once.
    func set(_ continuation: CheckedContinuation<Value, Never>) {
        state.withLock { state in
            if case .waiting = state { state = .waiting(continuation) }
        }
    }

    func resume(_ value: Value) {
        let continuation: CheckedContinuation<Value, Never>? = state.withLock { state in
            guard case .waiting(let continuation?) = state else { return nil }
            state = .done
            return continuation
        }
        continuation?.resume(returning: value)
    }
}
