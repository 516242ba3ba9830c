import KafkaLag
import Synchronization

/// A one-shot wake-up that a librdkafka thread fires when a result queue
/// becomes non-empty (or a deadline timer fires first). Only the first `fire`
/// counts; `wait` returns at once if it already happened.
final class QueueSignal: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private let state = Mutex(State.idle)

    func fire() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            switch state {
            case .idle:
                state = .fired
                return nil
            case .waiting(let continuation):
                state = .fired
                return continuation
            case .fired:
                return nil
            }
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let alreadyFired = state.withLock { state in
                if case .fired = state { return true }
                state = .waiting(continuation)
                return false
            }
            if alreadyFired { continuation.resume() }
        }
    }
}
