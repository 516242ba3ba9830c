import KafkaLag
import Dispatch
import Synchronization

/// Lets at most `width` blocking librdkafka calls of one handle run at a time, each
/// on a serial queue (a "lane") of its own. A black-holed cluster then holds a few
/// threads, never the process's, so other clusters' reads go on at their usual
/// speed; and a call that waited for a lane past its deadline gives up without ever
/// reaching librdkafka.
final class BlockingCallGate: Sendable {
    /// Blocking calls per handle at once: reads of different topics through one
    /// connection still overlap, a stuck broker cannot take more threads than this.
    static let defaultWidth = 8

    private struct State {
        var free: [Int]
        var nextID: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Int?, Never>)] = []
    }

    private let lanes: [DispatchQueue]
    private let state: Mutex<State>

    init(label: String, width: Int = defaultWidth) {
        lanes = (0..<width).map { DispatchQueue(label: "\(label).blocking.\($0)") }
        state = Mutex(State(free: Array(lanes.indices)))
    }

    /// Runs `body` on a free lane once one is free before `deadline`; nil when none was.
    func run<T: Sendable>(until deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> T) async -> T? {
        guard let lane = await enter(until: deadline) else { return nil }
        defer { leave(lane) }
        return await BlockingCalls.run(on: lanes[lane], body)
    }

    private func enter(until deadline: ContinuousClock.Instant) async -> Int? {
        await withCheckedContinuation { continuation in
            let waiter: UInt64? = state.withLock { state in
                if let lane = state.free.popLast() {
                    continuation.resume(returning: lane)
                    return nil
                }
                state.nextID += 1
                state.waiters.append((state.nextID, continuation))
                return state.nextID
            }
            guard let waiter else { return }
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                self.expire(waiter)
            }
        }
    }

    /// Gives a lane back: to the longest waiter, if any.
    private func leave(_ lane: Int) {
        let next: CheckedContinuation<Int?, Never>? = state.withLock { state in
            guard !state.waiters.isEmpty else {
                state.free.append(lane)
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: lane)
    }

    private func expire(_ waiter: UInt64) {
        let expired: CheckedContinuation<Int?, Never>? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == waiter }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        expired?.resume(returning: nil)
    }
}
