import KafkaLag
import Testing
@testable import ScalerRegistry

@Suite("Registry state machine: DESIGN.md §4 rules")
struct RegistryStateMachineTests {
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")
    let c = Fixtures.source("c:9092")

    @Test("the first valid request creates the entry and pins its source")
    func firstRequestPins() {
        var machine = RegistryStateMachine()
        let (pin, events) = machine.admit(Fixtures.admission(a, version: 3), at: Fixtures.t0)
        #expect(pin.source == a && pin.version == 3)
        #expect(events == [.created(Fixtures.key, version: 3, source: a)])
        #expect(machine.entries.count == 1)
    }

    @Test("one entry per (namespace, name, triggerName)")
    func entriesAreKeyedByTrigger() {
        var machine = RegistryStateMachine()
        let keys = [
            RegistryKey(namespace: "n", name: "s"), RegistryKey(namespace: "n", name: "s", triggerName: "t2"),
            RegistryKey(namespace: "m", name: "s"),
        ]
        for key in keys { _ = machine.admit(Fixtures.admission(a, key: key), at: Fixtures.t0) }
        _ = machine.admit(Fixtures.admission(a, key: keys[0]), at: Fixtures.t0)
        #expect(machine.entries.count == 3)
    }

    @Test("the same source is served with no event")
    func sameSourceServed() {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        let (pin, events) = machine.admit(Fixtures.admission(a), at: Fixtures.t0)
        #expect(pin.generation == first.generation && events.isEmpty)
    }

    @Test("a different source at the same version is pending, announced once per distinct source")
    func driftIsPendingAndAnnouncedOnce() throws {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a), at: Fixtures.t0)
        let (pin, events) = machine.admit(Fixtures.admission(b), at: Fixtures.t0.advanced(by: .seconds(1)))
        #expect(pin.source == a)
        #expect(events == [.drift(Fixtures.key, version: 0, pinned: a, pending: b)])
        let entry = try #require(machine.entries[Fixtures.key])
        #expect(entry.pending?.source == b)
        #expect(entry.pending?.since == Fixtures.t0.advanced(by: .seconds(1)))

        #expect(machine.admit(Fixtures.admission(b), at: Fixtures.t0.advanced(by: .seconds(2))).events.isEmpty)
        #expect(machine.entries[Fixtures.key]?.pending?.since == Fixtures.t0.advanced(by: .seconds(1)), "since stays at first sight")
        #expect(machine.admit(Fixtures.admission(c), at: Fixtures.t0).events.count == 1)
        #expect(machine.entries[Fixtures.key]?.pending?.source == c, "pending is the latest source seen")
        #expect(machine.admit(Fixtures.admission(b), at: Fixtures.t0).events.isEmpty, "b was announced already")
    }

    @Test("a caller sending endless distinct sources gets at most 64 drift and 64 stale announcements; pending still follows")
    func announcementsAreBounded() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a, version: 5), at: Fixtures.t0)
        var drift = 0, stale = 0
        for index in 0..<1000 {
            let variant = Fixtures.source("x\(index):9092")
            drift += machine.admit(Fixtures.admission(variant, version: 5), at: Fixtures.t0).events.count
            stale += machine.admit(Fixtures.admission(variant, version: 4), at: Fixtures.t0).events.count
        }
        #expect(drift == RegistryStateMachine.announcementLimit && stale == RegistryStateMachine.announcementLimit)
        #expect(machine.entries[Fixtures.key]?.pending?.source == Fixtures.source("x999:9092"))
    }

    @Test("the pinned source again clears pending")
    func pinnedSourceClearsPending() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(a), at: Fixtures.t0)
        #expect(machine.entries[Fixtures.key]?.pending == nil)
    }

    @Test("a higher version swaps at once, even to an identical source")
    func higherVersionSwaps() {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        let (pin, events) = machine.admit(Fixtures.admission(b, version: 1), at: Fixtures.t0)
        #expect(pin.source == b && pin.version == 1 && pin.generation > first.generation)
        #expect(events == [.swapped(Fixtures.key, from: first, to: pin, reason: .version)])
        #expect(machine.entries[Fixtures.key]?.pending == nil)

        let (same, sameEvents) = machine.admit(Fixtures.admission(b, version: 2), at: Fixtures.t0)
        #expect(same.source == b && same.generation > pin.generation)
        #expect(sameEvents.count == 1)
    }

    @Test("a lower version is served from the pin, announced as stale once, and never pending")
    func lowerVersionIsStale() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(b, version: 2), at: Fixtures.t0)
        let (pin, events) = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0)
        #expect(pin.source == b && pin.version == 2)
        #expect(events == [.stale(Fixtures.key, requested: 1, pinnedVersion: 2, source: a)])
        #expect(machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0).events.isEmpty)
        #expect(machine.entries[Fixtures.key]?.pending == nil)
    }

    @Test("a failure with a pending source adopts it")
    func failureAdoptsPending() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        let planResult = machine.failed(Fixtures.key, generation: first.generation, message: "brokers down", at: Fixtures.t0)
        let plan = try #require(planResult)
        #expect(plan.metadata["bootstrapServers"] == "b:9092" && plan.reason == .failure)
        #expect(machine.entries[Fixtures.key]?.state == .failing)
        guard case .swapped(let pin, let events) = machine.resolved(plan, to: b, at: Fixtures.t0) else {
            Issue.record("expected a swap")
            return
        }
        #expect(pin.source == b && pin.version == 0)
        #expect(events == [.swapped(Fixtures.key, from: first, to: pin, reason: .failure)])
        #expect(machine.entries[Fixtures.key]?.pending == nil)
    }

    @Test("a failure with nothing pending reconnects the same source")
    func failureReconnects() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        let planResult = machine.failed(Fixtures.key, generation: first.generation, message: "timeout", at: Fixtures.t0)
        let plan = try #require(planResult)
        #expect(machine.resolved(plan, to: a, at: Fixtures.t0) == .reconnect(first))
        machine.succeeded(Fixtures.key, generation: first.generation, at: Fixtures.t0)
        #expect(machine.entries[Fixtures.key]?.state == .ready)
        #expect(machine.entries[Fixtures.key]?.lastError == nil)
    }

    @Test("a failure whose re-resolution changed (auth-profile files) swaps")
    func failureWithChangedProfileSwaps() throws {
        var machine = RegistryStateMachine()
        let old = Fixtures.source(password: "old")
        let first = machine.admit(Fixtures.admission(old), at: Fixtures.t0).pinned
        let planResult = machine.failed(Fixtures.key, generation: first.generation, message: "SASL refused", at: Fixtures.t0)
        let plan = try #require(planResult)
        let rotated = Fixtures.source(password: "rotated")
        guard case .swapped(let pin, _) = machine.resolved(plan, to: rotated, at: Fixtures.t0) else {
            Issue.record("expected a swap")
            return
        }
        #expect(pin.source == rotated)
    }

    @Test("a reload re-pins every entry, identical sources included")
    func reloadRepins() {
        var machine = RegistryStateMachine()
        let other = RegistryKey(namespace: "shop", name: "payments")
        _ = machine.admit(Fixtures.admission(a), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(c, key: other), at: Fixtures.t0)
        let plans = machine.reload(nil)
        #expect(plans.count == 2)
        #expect(machine.reload(other).count == 1)
        #expect(machine.reload(RegistryKey(namespace: "x", name: "y")).isEmpty)
        let outcomes = plans.map { machine.resolved($0, to: $0.key == other ? c : b, at: Fixtures.t0) }
        for outcome in outcomes {
            guard case .swapped(_, let events) = outcome, case .swapped(_, _, _, reason: .reload) = events.first else {
                Issue.record("expected a reload swap, got \(outcome)")
                continue
            }
        }
        #expect(machine.entries[Fixtures.key]?.pinned.source == b, "reload adopts the pending source")
        #expect(machine.entries[other]?.pinned.source == c)
    }

    @Test("a read that fails after a swap does not touch the new pin")
    func swapWhileReadInFlight() {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        let second = machine.admit(Fixtures.admission(b, version: 1), at: Fixtures.t0).pinned
        #expect(machine.failed(Fixtures.key, generation: first.generation, message: "late failure", at: Fixtures.t0) == nil)
        machine.succeeded(Fixtures.key, generation: first.generation, at: Fixtures.t0)
        #expect(machine.entries[Fixtures.key]?.pinned == second)
        #expect(machine.entries[Fixtures.key]?.state == .ready)
    }

    @Test("a version swap during a failure's re-resolution supersedes it")
    func failureDuringSwap() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        let planResult = machine.failed(Fixtures.key, generation: first.generation, message: "down", at: Fixtures.t0)
        let plan = try #require(planResult)
        let bumped = machine.admit(Fixtures.admission(c, version: 1), at: Fixtures.t0).pinned
        #expect(machine.resolved(plan, to: b, at: Fixtures.t0) == .superseded)
        #expect(machine.entries[Fixtures.key]?.pinned == bumped)
    }

    @Test("a reload during a failure wins; the failure's plan is superseded")
    func reloadDuringFailure() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b), at: Fixtures.t0)
        let failureResult = machine.failed(Fixtures.key, generation: first.generation, message: "down", at: Fixtures.t0)
        let failure = try #require(failureResult)
        let reload = try #require(machine.reload(Fixtures.key).first)
        guard case .swapped(let pin, _) = machine.resolved(reload, to: b, at: Fixtures.t0) else {
            Issue.record("expected the reload to swap")
            return
        }
        #expect(machine.resolved(failure, to: b, at: Fixtures.t0) == .superseded)
        #expect(machine.entries[Fixtures.key]?.pinned == pin)
    }

    @Test("a failed re-resolution keeps the pin and records the error")
    func resolutionFailureKeepsPin() throws {
        var machine = RegistryStateMachine()
        let first = machine.admit(Fixtures.admission(a), at: Fixtures.t0).pinned
        let planResult = machine.failed(Fixtures.key, generation: first.generation, message: "down", at: Fixtures.t0)
        let plan = try #require(planResult)
        machine.resolutionFailed(plan, message: #"auth profile "kafka" not found"#, at: Fixtures.t0)
        #expect(machine.entries[Fixtures.key]?.pinned == first)
        #expect(machine.entries[Fixtures.key]?.lastError == #"auth profile "kafka" not found"#)
        machine.backingOff(Fixtures.key, generation: first.generation)
        #expect(machine.entries[Fixtures.key]?.state == .backoff)
    }
}

@Suite("Registry state machine: eviction of entries KEDA stopped asking about")
struct RegistryEvictionTests {
    @Test("an entry untouched for the idle timeout is evicted; a touched one stays")
    func evictsIdle() {
        var machine = RegistryStateMachine()
        let other = RegistryKey(namespace: "shop", name: "payments")
        _ = machine.admit(Fixtures.admission(Fixtures.source()), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(Fixtures.source(), key: other), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(Fixtures.source(), key: other), at: Fixtures.t0.advanced(by: .seconds(600)))
        let early = machine.evict(idleFor: .seconds(900), at: Fixtures.t0.advanced(by: .seconds(899)))
        let evicted = machine.evict(idleFor: .seconds(900), at: Fixtures.t0.advanced(by: .seconds(900)))
        #expect(early.isEmpty)
        #expect(evicted.map(\.key) == [Fixtures.key])
        #expect(machine.entries.keys.sorted() == [other])
    }
}

@Suite("Registry state machine: repeated admissions recognised by identity")
struct AdmissionIdentityTests {
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")

    @Test("a repeat of the admission that matched the pin is served and keeps the entry alive")
    func repeatServed() throws {
        var machine = RegistryStateMachine()
        let pin = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        let later = Fixtures.t0.advanced(by: .seconds(600))
        let (served, events) = machine.admit(Fixtures.admission(a, identity: 1), at: later)
        #expect(served == pin && events.isEmpty)
        #expect(machine.entries[Fixtures.key]?.lastSeen == later)
        #expect(machine.evict(idleFor: .seconds(300), at: later.advanced(by: .seconds(1))).isEmpty)
    }

    @Test("the matched identity still clears a pending source, as the pinned source does")
    func repeatClearsPending() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        #expect(machine.admit(Fixtures.admission(b, identity: 2), at: Fixtures.t0).events.count == 1)
        #expect(machine.entries[Fixtures.key]?.pending?.source == b)
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        #expect(machine.entries[Fixtures.key]?.pending == nil)
    }

    @Test("an identity matched before a swap is judged afresh after it: a lower version is stale")
    func swapForgetsIdentity() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a, version: 1, identity: 1), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(a, version: 1, identity: 1), at: Fixtures.t0)
        let swapped = machine.admit(Fixtures.admission(b, version: 2, identity: 2), at: Fixtures.t0)
        #expect(swapped.pinned.source == b)
        let (served, events) = machine.admit(Fixtures.admission(a, version: 1, identity: 1), at: Fixtures.t0)
        #expect(served.source == b)
        #expect(events == [.stale(Fixtures.key, requested: 1, pinnedVersion: 2, source: a)])
    }

    @Test("a reload re-pins, and the old identity is compared again")
    func reloadForgetsIdentity() throws {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        _ = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        let plan = try #require(machine.reload(Fixtures.key).first)
        guard case .swapped(let pin, _) = machine.resolved(plan, to: b, at: Fixtures.t0) else {
            Issue.record("a reload to another source swaps")
            return
        }
        let (served, events) = machine.admit(Fixtures.admission(a, identity: 1), at: Fixtures.t0)
        #expect(served == pin)
        #expect(events == [.drift(Fixtures.key, version: 0, pinned: b, pending: a)], "a differs from the reloaded pin: drift, not a silent match")
    }
}
