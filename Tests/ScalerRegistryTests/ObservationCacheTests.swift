import KafkaLag
import Testing
@testable import ScalerRegistry

@Suite("Observation cache: one read per KEDA round")
struct ObservationCacheTests {
    let source = Fixtures.source()
    let observation = Observation(committed: [TopicPartition(topic: "orders", partition: 0): 5], latest: ["orders": [0: 9]])

    @Test("concurrent lookups of one source join the first read")
    func coalesces() {
        var cache = ObservationCache(ttl: .seconds(2))
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else {
            Issue.record("expected a start")
            return
        }
        #expect(cache.lookup(source, at: Fixtures.t0) == .join(readID: id))
        #expect(cache.lookup(Fixtures.source(topic: "other"), at: Fixtures.t0) != .join(readID: id))
        let stored = cache.complete(source, readID: id, with: observation, at: Fixtures.t0)
        #expect(stored?.observation == observation)
        #expect(cache.lookup(source, at: Fixtures.t0.advanced(by: .seconds(1))) == .fresh(stored!))
    }

    @Test("a caller's maxAge shorter than the TTL forces a new read; a longer one does not extend the TTL")
    func maxAge() {
        var cache = ObservationCache(ttl: .seconds(2))
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else { return }
        let stored = cache.complete(source, readID: id, with: observation, at: Fixtures.t0)!
        let later = Fixtures.t0.advanced(by: .milliseconds(900))
        #expect(cache.lookup(source, at: later, maxAge: .seconds(1)) == .fresh(stored))
        #expect(cache.fresh(source, at: later, maxAge: .milliseconds(500)) == nil)
        #expect(cache.fresh(source, at: Fixtures.t0.advanced(by: .seconds(2)), maxAge: .seconds(10)) == nil)
        guard case .start = cache.lookup(source, at: later, maxAge: .milliseconds(500)) else {
            Issue.record("expected a new read")
            return
        }
    }

    @Test("an observation older than the TTL is read again with a new sequence")
    func expires() {
        var cache = ObservationCache(ttl: .seconds(2))
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else { return }
        let first = cache.complete(source, readID: id, with: observation, at: Fixtures.t0)!
        guard case .start(let next) = cache.lookup(source, at: Fixtures.t0.advanced(by: .seconds(2))) else {
            Issue.record("expected a new read")
            return
        }
        let second = cache.complete(source, readID: next, with: observation, at: Fixtures.t0.advanced(by: .seconds(2)))!
        #expect(second.sequence > first.sequence)
    }

    @Test("TTL 0 disables reuse but still coalesces")
    func zeroTTL() {
        var cache = ObservationCache(ttl: .zero)
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else { return }
        #expect(cache.lookup(source, at: Fixtures.t0) == .join(readID: id))
        cache.complete(source, readID: id, with: observation, at: Fixtures.t0)
        #expect(cache.fresh(source, at: Fixtures.t0) == nil)
    }

    @Test("a failed read stores nothing and lets the next lookup start over")
    func failureStoresNothing() {
        var cache = ObservationCache(ttl: .seconds(2))
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else { return }
        #expect(cache.complete(source, readID: id, with: nil, at: Fixtures.t0) == nil)
        guard case .start = cache.lookup(source, at: Fixtures.t0) else {
            Issue.record("expected a new read after a failure")
            return
        }
    }

    @Test("expired observations are evicted")
    func evicts() {
        var cache = ObservationCache(ttl: .seconds(2))
        guard case .start(let id) = cache.lookup(source, at: Fixtures.t0) else { return }
        cache.complete(source, readID: id, with: observation, at: Fixtures.t0)
        cache.evictExpired(at: Fixtures.t0.advanced(by: .seconds(3)))
        #expect(cache.fresh(source, at: Fixtures.t0) == nil)
    }
}
