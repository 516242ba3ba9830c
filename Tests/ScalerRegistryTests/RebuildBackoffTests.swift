import Testing
@testable import ScalerRegistry

@Suite("Rebuild backoff: 1 s doubling to 60 s")
struct RebuildBackoffTests {
    @Test("the first rebuild is immediate, then the gaps double up to the cap")
    func doublesToCap() {
        var backoff = RebuildBackoff()
        var now = Fixtures.t0
        let first = backoff.attempt(at: now)
        #expect(first)
        var gaps: [Duration] = []
        for _ in 0..<9 {
            let next = backoff.notBefore!
            let early = backoff.attempt(at: next.advanced(by: .milliseconds(-1)))
            #expect(!early, "no rebuild before the gap ends")
            gaps.append(next.monotonic - now.monotonic)
            now = next
            let onTime = backoff.attempt(at: now)
            #expect(onTime)
        }
        #expect(gaps == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test("a success resets the backoff")
    func successResets() {
        var backoff = RebuildBackoff()
        let results = [backoff.attempt(at: Fixtures.t0), backoff.attempt(at: Fixtures.t0)]
        backoff.reset()
        let afterReset = backoff.attempt(at: Fixtures.t0)
        #expect(results == [true, false])
        #expect(afterReset)
    }
}
