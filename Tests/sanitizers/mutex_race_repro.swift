// Two threads increment one counter, only ever inside the same lock.
// Under -sanitize=thread, Synchronization.Mutex draws "Swift access race" reports
// (its futex-based lock is invisible to TSan) while NSLock (pthread_mutex) draws none.
import Foundation
import Synchronization

final class Counters: @unchecked Sendable {
    let mutex = Mutex(0)
    let lock = NSLock()
    var locked = 0
}

let counters = Counters()
let useNSLock = CommandLine.arguments.contains("nslock")
let threads = (0..<2).map { _ in
    Thread {
        for _ in 0..<100_000 {
            if useNSLock {
                counters.lock.withLock { counters.locked += 1 }
            } else {
                counters.mutex.withLock { $0 += 1 }
            }
        }
    }
}
threads.forEach { $0.start() }
while !threads.allSatisfy(\.isFinished) { Thread.sleep(forTimeInterval: 0.01) }
print(useNSLock ? counters.lock.withLock { counters.locked } : counters.mutex.withLock { $0 })
