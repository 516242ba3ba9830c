import KafkaLag
import Testing
@testable import ScalerRegistry

/// Stands in for a librdkafka handle: the pool only counts and hands them out.
final class CountedHandle: Sendable {
    let serial: Int
    init(serial: Int) { self.serial = serial }
}

@Suite("Connection pool: shared, counted, rebuilt with backoff, closed when idle")
struct ConnectionPoolTests {
    let settings = ConnectionSettings(bootstrapServers: ["a:9092"])

    final class Opener: @unchecked Sendable {
        // Only touched from the test's own task.
        var opened = 0
        func open() -> CountedHandle {
            opened += 1
            return CountedHandle(serial: opened)
        }
    }

    @Test("entries with equal settings share one handle")
    func shares() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        for _ in 0..<500 { pool.retain(settings) }
        pool.retain(ConnectionSettings(bootstrapServers: ["b:9092"]))
        #expect(opener.opened == 0, "pinning opens nothing")
        for _ in 0..<3 {
            let handle = try pool.lease(settings, open: opener.open)
            _ = pool.endLease(handle, at: Fixtures.t0)
        }
        _ = try pool.lease(ConnectionSettings(bootstrapServers: ["b:9092"]), open: opener.open)
        #expect(opener.opened == 2)
        #expect(pool.handleCount == 2)
        #expect(pool.snapshots.first { $0.settings == settings }?.entries == 500)
    }

    @Test("an unused handle closes after the idle timeout, not before")
    func idleClose() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        _ = pool.endLease(try pool.lease(settings, open: opener.open), at: Fixtures.t0)
        pool.release(settings, at: Fixtures.t0)
        let early = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(299)))
        #expect(early.isEmpty)
        pool.retain(settings)
        _ = pool.endLease(try pool.lease(settings, open: opener.open), at: Fixtures.t0)
        #expect(opener.opened == 1, "re-used within the idle period")
        pool.release(settings, at: Fixtures.t0)
        let closed = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(300)))
        #expect(closed.map(\.serial) == [1])
        #expect(pool.handleCount == 0)
    }

    @Test("a read in flight keeps an idle handle open")
    func leaseKeepsOpen() throws {
        var pool = ConnectionPool<CountedHandle>()
        pool.retain(settings)
        let handle = try pool.lease(settings, open: Opener().open)
        pool.release(settings, at: Fixtures.t0)
        let whileLeased = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(600)))
        let retired = pool.endLease(handle, at: Fixtures.t0.advanced(by: .seconds(600)))
        let afterLease = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(900)))
        #expect(whileLeased.isEmpty && retired == nil && afterLease.count == 1)
    }

    @Test("a handle that needs replacement is closed now if unused, after its reads otherwise; the next read opens a new one")
    func retireOnDemand() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        let other = ConnectionSettings(bootstrapServers: ["b:9092"])
        pool.retain(settings)
        pool.retain(other)
        let idle = try pool.lease(settings, open: opener.open)
        _ = pool.endLease(idle, at: Fixtures.t0)
        let busy = try pool.lease(other, open: opener.open)
        let closedNow = pool.retire { _ in true }
        #expect(closedNow.map(\.serial) == [idle.serial])
        #expect(pool.endLease(busy, at: Fixtures.t0) === busy, "the busy handle closes when its read ends")
        let fresh = try pool.lease(settings, open: opener.open)
        #expect(fresh.serial == 3 && opener.opened == 3)
        #expect(pool.retire { $0.serial != fresh.serial }.isEmpty, "only handles the predicate picks")
        #expect(pool.snapshots.first { $0.settings == settings }?.entries == 1, "pins are kept")
    }

    @Test("a rebuild retires the old handle once its reads end, and backs off")
    func rebuild() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        let old = try pool.lease(settings, open: opener.open)
        guard case .rebuilt(let fresh, let retired) = try pool.rebuild(settings, at: Fixtures.t0, open: opener.open) else {
            Issue.record("expected a rebuild")
            return
        }
        #expect(fresh.serial == 2 && retired == nil)
        #expect(pool.handleCount == 2)
        let closedAfterRead = pool.endLease(old, at: Fixtures.t0)
        #expect(closedAfterRead === old, "close the retired handle after its last read")
        guard case .backingOff = try pool.rebuild(settings, at: Fixtures.t0.advanced(by: .milliseconds(500)), open: opener.open) else {
            Issue.record("expected backoff")
            return
        }
        guard case .rebuilt(_, let idleRetired) = try pool.rebuild(settings, at: Fixtures.t0.advanced(by: .seconds(1)), open: opener.open) else {
            Issue.record("expected a rebuild after the backoff")
            return
        }
        #expect(idleRetired?.serial == 2, "a handle with no reads closes at once")
        pool.succeeded(settings)
        guard case .rebuilt = try pool.rebuild(settings, at: Fixtures.t0.advanced(by: .seconds(1)), open: opener.open) else {
            Issue.record("success resets the backoff")
            return
        }
    }

    @Test("drain returns every handle")
    func drain() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        _ = try pool.lease(settings, open: opener.open)
        _ = try pool.rebuild(settings, at: Fixtures.t0, open: opener.open)
        let drained = pool.drain()
        #expect(drained.count == 2)
        #expect(pool.handleCount == 0)
    }
}
