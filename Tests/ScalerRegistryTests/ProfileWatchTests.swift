import KafkaLag
import Logging
import Synchronization
import Testing

@testable import ScalerRegistry

/// Auth-profile watching (issue 9 §2): a profile that changes on disk makes its entries'
/// new credentials pending, never served before a bump, failure or reload.
@Suite("Auth-profile watching")
struct ProfileWatchTests {
    let kafka = FakeKafka()
    let clock = ManualClock()
    let old = Fixtures.source("a:9092", password: "old-password")
    let rotated = Fixtures.source("a:9092", password: "rotated-password")

    func admission(_ source: Source) -> RegistryStateMachine.Admission {
        var admission = Fixtures.admission(source)
        admission.metadata["authProfile"] = "kafka"
        return admission
    }

    func makeRegistry() -> ScalerRegistry {
        ScalerRegistry(
            configuration: .defaults, readers: kafka, resolver: kafka, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A registry whose entry pinned `old` through profile "kafka", which now has `stamp`
    /// and resolves to `current`.
    func pinnedOld(stamp: String, resolvingTo current: Source) throws -> (ScalerRegistry, PinnedSource) {
        let registry = makeRegistry()
        kafka.state.withLock {
            $0.profileStamps["kafka"] = stamp
            $0.reResolved["a:9092"] = current
        }
        return (registry, try registry.admit(admission(old)))
    }

    @Test("the state machine records a changed profile as pending, once, and never the pin itself")
    func machine() throws {
        var machine = RegistryStateMachine()
        let pin = machine.admit(admission(old), at: Fixtures.t0).pinned
        let metadata = admission(old).metadata
        #expect(machine.profileChanged(Fixtures.key, generation: pin.generation, to: old, metadata: metadata, at: Fixtures.t0) == nil)
        #expect(machine.profileChanged(Fixtures.key, generation: pin.generation + 1, to: rotated, metadata: metadata, at: Fixtures.t0) == nil)
        let event = machine.profileChanged(Fixtures.key, generation: pin.generation, to: rotated, metadata: metadata, at: Fixtures.t0)
        #expect(event == .drift(Fixtures.key, version: 0, pinned: old, pending: rotated))
        #expect(machine.profileChanged(Fixtures.key, generation: pin.generation, to: rotated, metadata: metadata, at: Fixtures.t0) == nil)
        let entry = try #require(machine.entries[Fixtures.key])
        #expect(entry.pinned.source == old && entry.pending?.source == rotated)
        #expect(entry.history.events.map(\.kind) == [.pinned, .profileChange])
        // A request that now resolves to the new credentials does not announce them again.
        var request = admission(rotated)
        request.metadata = metadata
        #expect(machine.admit(request, at: Fixtures.t0).events.isEmpty)
    }

    @Test("a changed stamp makes the new credentials pending; the pin serves on; reload adopts them")
    func registry() async throws {
        let (registry, pin) = try pinnedOld(stamp: "..2026_a", resolvingTo: old)
        await registry.checkProfiles()  // first sight: re-read, unchanged
        #expect(registry.status().entries.first?.pending == nil)
        kafka.state.withLock { $0.reResolved["a:9092"] = rotated }
        await registry.checkProfiles()
        #expect(registry.status().entries.first?.pending == nil, "same stamp: nothing re-read")
        kafka.state.withLock { $0.profileStamps["kafka"] = "..2026_b" }
        await registry.checkProfiles()
        #expect(registry.status().entries.first?.pending?.fingerprint == rotated.fingerprint)
        #expect(registry.pinned(Fixtures.key) == pin, "nothing served changes")
        #expect(try registry.admit(admission(old)) == pin)
        #expect(await registry.reload(Fixtures.key) == 1)
        #expect(registry.pinned(Fixtures.key)?.source == rotated)
    }

    @Test("a profile that changed before the watcher first looked at it is pending at its first pass")
    func changedBeforeFirstLook() async throws {
        let (registry, pin) = try pinnedOld(stamp: "..2026_b", resolvingTo: rotated)
        await registry.checkProfiles()
        #expect(registry.status().entries.first?.pending?.fingerprint == rotated.fingerprint)
        #expect(registry.pinned(Fixtures.key) == pin)
    }

    @Test("passes scan the entries only when their count changes; a changed stamp is still found")
    func scansRarely() async throws {
        let (registry, _) = try pinnedOld(stamp: "..2026_a", resolvingTo: old)
        await registry.checkProfiles()
        let lookups = kafka.state.withLock(\.profileNameLookups)
        for _ in 0..<3 { await registry.checkProfiles() }
        #expect(kafka.state.withLock(\.profileNameLookups) == lookups, "same entries: no scan")
        kafka.state.withLock {
            $0.profileStamps["kafka"] = "..2026_b"
            $0.reResolved["a:9092"] = rotated
        }
        await registry.checkProfiles()
        #expect(registry.status().entries.first?.pending?.fingerprint == rotated.fingerprint)
        var other = admission(old)
        other.key = RegistryKey(namespace: "shop", name: "other", triggerName: "")
        _ = try registry.admit(other)
        let before = kafka.state.withLock(\.profileNameLookups)
        await registry.checkProfiles()
        #expect(kafka.state.withLock(\.profileNameLookups) > before, "a new entry: scanned")
    }

    @Test("a profile that disappears changes nothing served")
    func disappeared() async throws {
        let (registry, pin) = try pinnedOld(stamp: "..2026_a", resolvingTo: old)
        await registry.checkProfiles()
        kafka.state.withLock { $0.profileStamps["kafka"] = nil }
        await registry.checkProfiles()
        #expect(registry.pinned(Fixtures.key) == pin)
        #expect(registry.status().entries.first?.pending == nil)
    }
}
