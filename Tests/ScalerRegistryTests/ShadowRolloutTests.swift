import KafkaLag
import Testing
@testable import ScalerRegistry

@Suite("Registry state machine: shadow rollout of a version bump")
struct ShadowRolloutTests {
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")
    let c = Fixtures.source("c:9092")
    let shadow = RolloutPolicy.shadow(observations: 3)
    let lag = LastEvaluation(at: Fixtures.t0, metric: 7, active: true, totalLag: 7)

    /// An entry pinned to `a` at version 1, with `b` at version 2 as its candidate.
    private func rollingOut() -> (RegistryStateMachine, PinnedSource, RolloutCandidate) {
        var machine = RegistryStateMachine()
        let pin = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b, version: 2, rollout: shadow), at: Fixtures.t0)
        return (machine, pin, machine.entries[Fixtures.key]!.candidate!)
    }

    private func kinds(_ machine: RegistryStateMachine) -> [EntryHistory.Event.Kind] {
        machine.entries[Fixtures.key]?.history.events.map(\.kind) ?? []
    }

    @Test("a shadow bump makes the new source the candidate; the pin keeps serving")
    func bumpStartsRollout() throws {
        var machine = RegistryStateMachine()
        let pin = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0).pinned
        let (served, events) = machine.admit(Fixtures.admission(b, version: 2, rollout: shadow), at: Fixtures.t0)
        let candidate = try #require(machine.entries[Fixtures.key]?.candidate)
        #expect(served == pin)
        #expect(candidate.version == 2 && candidate.source == b && candidate.required == 3 && candidate.phase == .inProgress)
        #expect(candidate.generation > pin.generation)
        #expect(events == [.rolloutStarted(Fixtures.key, pinned: pin, candidate: candidate, replaced: nil)])
        #expect(kinds(machine) == [.pinned, .rolloutStarted])

        let (again, repeated) = machine.admit(Fixtures.admission(b, version: 2, rollout: shadow), at: Fixtures.t0)
        #expect(again == pin && repeated.isEmpty, "the rollout's own requests are served from the pin")
        #expect(machine.admit(Fixtures.admission(c, version: 2, rollout: shadow), at: Fixtures.t0).events.isEmpty)
        #expect(machine.entries[Fixtures.key]?.candidate?.source == b, "only a higher version replaces the candidate")
    }

    @Test("a shadow bump that changes only the version is pinned at once: there is nothing to try")
    func versionOnlyBumpSwaps() {
        var machine = RegistryStateMachine()
        _ = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0)
        let (pin, events) = machine.admit(Fixtures.admission(a, version: 2, rollout: shadow), at: Fixtures.t0)
        #expect(pin.version == 2 && machine.entries[Fixtures.key]?.candidate == nil)
        guard case .swapped(_, _, _, reason: .version) = events.first else {
            Issue.record("expected a version swap, got \(events)")
            return
        }
    }

    @Test("one candidate read per new observation of the pin, never two at once")
    func oneReadPerObservation() throws {
        var (machine, pin, candidate) = rollingOut()
        let firstDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 10)
        let first = try #require(firstDue)
        #expect(first == .init(key: Fixtures.key, generation: candidate.generation, source: b))
        #expect(machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 11) == nil, "one is in flight")
        _ = machine.candidateSucceeded(first, evaluation: lag, at: Fixtures.t0)
        #expect(machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 10) == nil, "observation 10 was used")
        #expect(machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation + 100, observation: 11) == nil, "another pin's")
        #expect(machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 11) != nil)
    }

    @Test(arguments: [1, 3, 5])
    func consecutiveSuccessesPinTheCandidate(required: Int) throws {
        var machine = RegistryStateMachine()
        let pin = machine.admit(Fixtures.admission(a, version: 1), at: Fixtures.t0).pinned
        _ = machine.admit(Fixtures.admission(b, version: 2, rollout: .shadow(observations: required)), at: Fixtures.t0)
        var events: [RegistryEvent] = []
        for sequence in 1...UInt64(required) {
            let readDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: sequence)
            let read = try #require(readDue)
            #expect(machine.entries[Fixtures.key]?.pinned == pin, "the pin serves until the last read")
            events = machine.candidateSucceeded(read, evaluation: lag, at: Fixtures.t0)
            if sequence < UInt64(required) {
                #expect(events.count == 1)
                #expect(machine.entries[Fixtures.key]?.candidate?.observations == Int(sequence))
                #expect(machine.entries[Fixtures.key]?.candidate?.lastEvaluation == lag)
            }
        }
        let entry = try #require(machine.entries[Fixtures.key])
        #expect(entry.pinned.source == b && entry.pinned.version == 2 && entry.candidate == nil)
        guard case .swapped(_, from: pin, to: entry.pinned, reason: .rollout) = events.first, case .rolloutEnded = events.last else {
            Issue.record("expected the swap with reason rollout, then the end of the rollout: \(events)")
            return
        }
        #expect(kinds(machine) == [.pinned, .rolloutStarted] + Array(repeating: .rolloutProgressed, count: required - 1) + [.rolloutCompleted])
    }

    @Test("a failed candidate read holds the rollout once; a success resumes it and the count starts over")
    func failureHolds() throws {
        var (machine, pin, _) = rollingOut()
        let firstDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 1)
        let first = try #require(firstDue)
        _ = machine.candidateSucceeded(first, evaluation: lag, at: Fixtures.t0)
        let secondDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 2)
        let second = try #require(secondDue)
        let held = machine.candidateFailed(second, message: "brokers down", at: Fixtures.t0)
        var candidate = try #require(machine.entries[Fixtures.key]?.candidate)
        #expect(held == [.rolloutHeld(Fixtures.key, candidate: candidate)])
        #expect(candidate.phase == .held && candidate.observations == 0 && candidate.failedReads == 1 && candidate.lastError == "brokers down")
        let thirdDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 3)
        let third = try #require(thirdDue)
        #expect(machine.candidateFailed(third, message: "still down", at: Fixtures.t0).isEmpty, "held is announced once")
        #expect(machine.entries[Fixtures.key]?.candidate?.failedReads == 2)
        #expect(machine.entries[Fixtures.key]?.pinned == pin)

        for sequence: UInt64 in 4...5 {
            let readDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: sequence)
            let read = try #require(readDue)
            _ = machine.candidateSucceeded(read, evaluation: lag, at: Fixtures.t0)
        }
        candidate = try #require(machine.entries[Fixtures.key]?.candidate)
        #expect(candidate.phase == .inProgress && candidate.observations == 2 && candidate.lastError == nil, "two successes since the failure")
        #expect(kinds(machine) == [.pinned, .rolloutStarted, .rolloutProgressed, .rolloutHeld, .rolloutProgressed, .rolloutProgressed])
    }

    @Test("a further shadow bump starts a fresh rollout; the old candidate's results no longer count")
    func furtherBumpRestarts() throws {
        var (machine, pin, _) = rollingOut()
        let staleDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 1)
        let stale = try #require(staleDue)
        let old = try #require(machine.entries[Fixtures.key]?.candidate)
        let (served, events) = machine.admit(Fixtures.admission(c, version: 3, rollout: shadow), at: Fixtures.t0)
        let fresh = try #require(machine.entries[Fixtures.key]?.candidate)
        #expect(served == pin && fresh.source == c && fresh.observations == 0)
        #expect(events == [.rolloutStarted(Fixtures.key, pinned: pin, candidate: fresh, replaced: old)])
        #expect(machine.candidateSucceeded(stale, evaluation: lag, at: Fixtures.t0).isEmpty)
        #expect(machine.candidateFailed(stale, message: "x", at: Fixtures.t0).isEmpty)
        #expect(machine.entries[Fixtures.key]?.candidate == fresh)
    }

    @Test("an immediate bump past the candidate swaps at once and ends the rollout")
    func immediateBumpEndsRollout() throws {
        var (machine, pin, candidate) = rollingOut()
        let (served, events) = machine.admit(Fixtures.admission(c, version: 3), at: Fixtures.t0)
        #expect(served.source == c && machine.entries[Fixtures.key]?.candidate == nil)
        #expect(events == [.swapped(Fixtures.key, from: pin, to: served, reason: .version), .rolloutEnded(Fixtures.key, candidate: candidate)])
    }

    @Test("a reload forces the candidate in, even a held one")
    func reloadForcesCandidate() throws {
        var (machine, pin, candidate) = rollingOut()
        let readDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 1)
        let read = try #require(readDue)
        _ = machine.candidateFailed(read, message: "refused", at: Fixtures.t0)
        let plan = try #require(machine.reload(Fixtures.key).first)
        #expect(plan.version == 2 && plan.metadata["bootstrapServers"] == "b:9092" && plan.reason == .reload)
        guard case .swapped(let new, let events) = machine.resolved(plan, to: b, at: Fixtures.t0) else {
            Issue.record("a reload swaps")
            return
        }
        #expect(new.version == 2 && new.source == b)
        #expect(events.count == 2 && events.last?.isRolloutEnd(of: candidate) == true)
        #expect(machine.entries[Fixtures.key]?.candidate == nil)
    }

    @Test("a failure of the pin adopts a healthy candidate at once, at its version")
    func pinFailureAdoptsCandidate() throws {
        var (machine, pin, candidate) = rollingOut()
        let planDue = machine.failed(Fixtures.key, generation: pin.generation, message: "down", at: Fixtures.t0)
        let plan = try #require(planDue)
        #expect(plan.version == 2 && plan.metadata["bootstrapServers"] == "b:9092" && plan.reason == .failure)
        guard case .swapped(let new, let events) = machine.resolved(plan, to: b, at: Fixtures.t0) else {
            Issue.record("adopting the candidate swaps")
            return
        }
        #expect(new.version == 2 && new.source == b)
        #expect(events == [.swapped(Fixtures.key, from: pin, to: new, reason: .failure), .rolloutEnded(Fixtures.key, candidate: candidate)])
    }

    @Test("a failure of the pin does not adopt a held candidate: the pin's own source is re-resolved")
    func pinFailureKeepsHeldCandidateOut() throws {
        var (machine, pin, _) = rollingOut()
        let readDue = machine.candidateReadDue(Fixtures.key, pinGeneration: pin.generation, observation: 1)
        let read = try #require(readDue)
        _ = machine.candidateFailed(read, message: "refused", at: Fixtures.t0)
        let planDue = machine.failed(Fixtures.key, generation: pin.generation, message: "down", at: Fixtures.t0)
        let plan = try #require(planDue)
        #expect(plan.version == 1 && plan.metadata["bootstrapServers"] == "a:9092")
        #expect(machine.resolved(plan, to: a, at: Fixtures.t0) == .reconnect(pin))
        #expect(machine.entries[Fixtures.key]?.candidate?.phase == .held, "the rollout stays held")
    }

    @Test("an evicted entry hands back its candidate, so its connection is released too")
    func evictionReturnsCandidate() {
        var (machine, _, candidate) = rollingOut()
        let evicted = machine.evict(idleFor: .seconds(1), at: Fixtures.t0.advanced(by: .seconds(1)))
        #expect(evicted.map(\.entry.candidate) == [candidate])
    }
}

extension RegistryEvent {
    /// Whether this ends the rollout of `candidate` (whatever its reads counted since).
    func isRolloutEnd(of candidate: RolloutCandidate) -> Bool {
        guard case .rolloutEnded(_, let ended) = self else { return false }
        return ended.generation == candidate.generation && ended.source == candidate.source
    }
}
