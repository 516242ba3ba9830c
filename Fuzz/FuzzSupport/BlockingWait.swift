import Dispatch
import Synchronization

/// Runs async work to its end from libFuzzer's thread (not one of the cooperative
/// pool, so blocking it is safe): each input is handled completely before the next.
public func waitFor<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
