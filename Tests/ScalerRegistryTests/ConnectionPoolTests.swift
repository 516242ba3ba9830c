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
    func shares() {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        for _ in 0..<500 { pool.retain(settings) }
        pool.retain(ConnectionSettings(bootstrapServers: ["b:9092"]))
        #expect(opener.opened == 0, "pinning opens nothing")
        for _ in 0..<3 {
            let handle = pool.lease(settings, open: opener.open)
            _ = pool.endLease(handle, at: Fixtures.t0)
        }
        _ = pool.lease(ConnectionSettings(bootstrapServers: ["b:9092"]), open: opener.open)
        #expect(opener.opened == 2)
        #expect(pool.handleCount == 2)
        #expect(pool.snapshots.first { $0.settings == settings }?.entries == 500)
    }

    @Test("an unused handle closes after the idle timeout, not before")
    func idleClose() {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        _ = pool.endLease(pool.lease(settings, open: opener.open), at: Fixtures.t0)
        pool.release(settings, at: Fixtures.t0)
        let early = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(299)))
        #expect(early.isEmpty)
        pool.retain(settings)
        _ = pool.endLease(pool.lease(settings, open: opener.open), at: Fixtures.t0)
        #expect(opener.opened == 1, "re-used within the idle period")
        pool.release(settings, at: Fixtures.t0)
        let closed = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(300)))
        #expect(closed.map(\.serial) == [1])
        #expect(pool.handleCount == 0)
    }

    @Test("a read in flight keeps an idle handle open")
    func leaseKeepsOpen() {
        var pool = ConnectionPool<CountedHandle>()
        pool.retain(settings)
        let handle = pool.lease(settings, open: Opener().open)
        pool.release(settings, at: Fixtures.t0)
        let whileLeased = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(600)))
        let retired = pool.endLease(handle, at: Fixtures.t0.advanced(by: .seconds(600)))
        let afterLease = pool.sweep(at: Fixtures.t0.advanced(by: .seconds(900)))
        #expect(whileLeased.isEmpty && retired == nil && afterLease.count == 1)
    }

    @Test("a handle that needs replacement is closed now if unused, after its reads otherwise; the next read opens a new one")
    func retireOnDemand() {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        let other = ConnectionSettings(bootstrapServers: ["b:9092"])
        pool.retain(settings)
        pool.retain(other)
        let idle = pool.lease(settings, open: opener.open)
        _ = pool.endLease(idle, at: Fixtures.t0)
        let busy = pool.lease(other, open: opener.open)
        let closedNow = pool.retire { _ in true }
        #expect(closedNow.map(\.serial) == [idle.serial])
        #expect(pool.endLease(busy, at: Fixtures.t0) === busy, "the busy handle closes when its read ends")
        let fresh = pool.lease(settings, open: opener.open)
        #expect(fresh.serial == 3 && opener.opened == 3)
        #expect(pool.retire { $0.serial != fresh.serial }.isEmpty, "only handles the predicate picks")
        #expect(pool.snapshots.first { $0.settings == settings }?.entries == 1, "pins are kept")
    }

    @Test("a rebuild retires the old handle once its reads end, and backs off")
    func rebuild() throws {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        let old = pool.lease(settings, open: opener.open)
        let rebuilt = pool.rebuild(settings, at: Fixtures.t0, open: opener.open)
        let first = try #require(rebuilt, "expected a rebuild")
        #expect(first.fresh.serial == 2 && first.close == nil)
        #expect(pool.handleCount == 2)
        let closedAfterRead = pool.endLease(old, at: Fixtures.t0)
        #expect(closedAfterRead === old, "close the retired handle after its last read")
        #expect(pool.rebuild(settings, at: Fixtures.t0.advanced(by: .milliseconds(500)), open: opener.open) == nil, "backing off")
        let rebuiltAgain = pool.rebuild(settings, at: Fixtures.t0.advanced(by: .seconds(1)), open: opener.open)
        let second = try #require(rebuiltAgain, "rebuilt after the backoff")
        #expect(second.close?.serial == 2, "a handle with no reads closes at once")
        pool.succeeded(settings)
        #expect(pool.rebuild(settings, at: Fixtures.t0.advanced(by: .seconds(1)), open: opener.open) != nil, "success resets the backoff")
    }

    @Test("handles open outside the pool: the first installed is lent, a second is surplus; a rebuild finished after the pins left closes its handle")
    func installRaces() {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        #expect(pool.lease(settings) == nil, "nothing open yet")
        let (first, second) = (opener.open(), opener.open())
        let installed = pool.install(first, for: settings)
        #expect(installed.lent === first && installed.surplus == nil)
        let raced = pool.install(second, for: settings)
        #expect(raced.lent === first && raced.surplus === second)
        #expect(pool.handleCount == 1)
        #expect(pool.startRebuild(settings, at: Fixtures.t0) == .open)
        _ = pool.drain()
        let late = opener.open()
        #expect(pool.finishRebuild(settings, with: late) === late)
    }

    @Test("drain returns every handle")
    func drain() {
        var pool = ConnectionPool<CountedHandle>()
        let opener = Opener()
        pool.retain(settings)
        _ = pool.lease(settings, open: opener.open)
        _ = pool.rebuild(settings, at: Fixtures.t0, open: opener.open)
        let drained = pool.drain()
        #expect(drained.count == 2)
        #expect(pool.handleCount == 0)
    }
}

extension ConnectionPool {
    /// A read's lease as the registry takes it: the open handle, else one opened and installed.
    mutating func lease(_ settings: ConnectionSettings, open: () -> Handle) -> Handle {
        lease(settings) ?? install(open(), for: settings).lent
    }

    /// A rebuild as the registry runs it: nil while backing off, else the new handle and one to close now.
    mutating func rebuild(_ settings: ConnectionSettings, at now: RegistryInstant, open: () -> Handle) -> (fresh: Handle, close: Handle?)? {
        guard case .open = startRebuild(settings, at: now) else { return nil }
        let fresh = open()
        return (fresh, finishRebuild(settings, with: fresh))
    }
}
