import KafkaLag
import Testing

@testable import ScalerRegistry

/// Each registry transition leaves one history event, in order; outages leave one event,
/// not one per failed read; and an entry keeps at most 20 events, across re-pins.
@Suite("Entry history")
struct EntryHistoryTests {
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")
    let c = Fixtures.source("c:9092")

    func kinds(_ machine: RegistryStateMachine) -> [String] {
        machine.entries[Fixtures.key]?.history.events.map(\.kind.rawValue) ?? []
    }

    @Test("pin, drift, stale, swap by version, one failure per outage, recovered, swap by reload")
    func sequence() throws {
        var machine = RegistryStateMachine()
        let t1 = Fixtures.t0.advanced(by: .seconds(1))
        let first = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b, version: 1), at: t1)
        _ = machine.admit(Fixtures.admission(b, version: 1), at: t1)
        _ = machine.admit(Fixtures.admission(a, version: 0), at: t1)
        let second = machine.admit(Fixtures.admission(c, version: 2), at: t1).pinned
        #expect(machine.failed(Fixtures.key, generation: first.generation, message: "late", at: t1) == nil)
        for _ in 0..<5 { _ = machine.failed(Fixtures.key, generation: second.generation, message: "brokers down", at: t1) }
        _ = machine.failed(Fixtures.key, generation: second.generation, message: "SASL refused", at: t1)
        machine.succeeded(Fixtures.key, generation: second.generation, at: t1)
        machine.succeeded(Fixtures.key, generation: second.generation, at: t1)
        let plan = try #require(machine.reload(Fixtures.key).first)
        _ = machine.resolved(plan, to: c, at: t1)
        #expect(kinds(machine) == ["pinned", "drift", "stale", "swap", "failure", "recovered", "swap"])

        let events = try #require(machine.entries[Fixtures.key]?.history.events)
        #expect(events[0].version == 1 && events[0].source == a && events[0].at == Fixtures.t0)
        #expect(events[1].source == b)
        #expect(events[2].version == 0)
        #expect(events[3].reason == .version && events[3].from?.version == 1 && events[3].from?.source == a && events[3].source == c)
        #expect(events[4].message == "brokers down")
        #expect(events[6].reason == .reload && events[6].version == 2)
    }

    @Test("a failed re-resolution is recorded; a failure's adopted pending source is a swap by failure")
    func failurePaths() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        let failure = machine.failed(Fixtures.key, generation: first.generation, message: "down", at: Fixtures.t0)
        let plan = try #require(failure)
        machine.resolutionFailed(plan, message: #"auth profile "kafka" not found"#, at: Fixtures.t0)
        _ = machine.resolved(plan, to: b, at: Fixtures.t0)
        #expect(kinds(machine) == ["pinned", "drift", "failure", "resolution_failed", "swap"])
        #expect(machine.entries[Fixtures.key]?.history.events.last?.reason == .failure)
    }

    @Test("at most 20 events, the latest, oldest first")
    func bounded() {
        var machine = RegistryStateMachine()
        for version in 0..<30 {
            _ = machine.admit(Fixtures.admission(version.isMultiple(of: 2) ? a : b, version: UInt64(version)), at: Fixtures.t0)
        }
        let events = machine.entries[Fixtures.key]?.history.events ?? []
        #expect(events.count == EntryHistory.capacity)
        #expect(events.map(\.version) == Array(10..<30).map(UInt64.init))
    }
}
