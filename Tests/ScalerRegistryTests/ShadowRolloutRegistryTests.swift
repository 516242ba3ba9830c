import KafkaLag
import Logging
import Testing
@testable import ScalerRegistry

@Suite("Scaler registry at run time: shadow rollouts", .timeLimit(.minutes(1)))
struct ShadowRolloutRegistryTests {
    let kafka = FakeKafka()
    let clock = ManualClock()
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")

    func makeRegistry() -> ScalerRegistry {
        ScalerRegistry(
            configuration: .defaults, readers: kafka, resolver: kafka, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// One KEDA round after the TTL: a new observation of the pin, evaluated.
    @discardableResult
    func round(_ registry: ScalerRegistry, _ admission: RegistryStateMachine.Admission) async throws -> Evaluation {
        clock.advance(.seconds(2))
        return try await registry.evaluate(Fixtures.key, admitted: try registry.admit(admission), scaling: .defaults, deadline: nil)
    }

    /// The entry's status once `done` holds (candidate reads finish in the background).
    func status(of registry: ScalerRegistry, when done: (RegistryStatus.Entry) -> Bool) async throws -> RegistryStatus.Entry {
        for _ in 0..<200 {
            if let entry = registry.status().entries.first, done(entry) { return entry }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try #require(registry.status().entries.first)
    }

    @Test("each new observation of the pin reads the candidate once; after N successes it is pinned")
    func rolloutCompletes() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        kafka.answer("b:9092", .success(.orders(committed: 1, latest: 9)))
        try await round(registry, Fixtures.admission(a, version: 1))
        let bump = Fixtures.admission(b, version: 2, rollout: .shadow(observations: 2))
        #expect(try await round(registry, bump).totalLag == 4, "the pin serves")
        var entry = try await status(of: registry) { $0.candidate?.observations == 1 }
        #expect(entry.pinned.version == 1 && entry.candidate?.source.version == 2 && entry.candidate?.state == "in_progress")
        #expect(entry.candidate?.lastEvaluation?.totalLag == 8 && entry.lastEvaluation?.totalLag == 4, "both lags side by side")
        #expect(kafka.reads == 3, "two pin reads, one candidate read")
        #expect(Set(registry.status().connections.map(\.brokers)) == [["a:9092"], ["b:9092"]])

        #expect(try await round(registry, bump).totalLag == 4)
        entry = try await status(of: registry) { $0.candidate == nil }
        #expect(entry.pinned.version == 2 && entry.pinned.brokers == ["b:9092"])
        #expect(kafka.reads == 5)
        #expect(try await round(registry, bump).totalLag == 8, "the candidate serves once pinned")
        let connections = registry.status().connections
        #expect(connections.first { $0.brokers == ["a:9092"] }?.entries == 0, "the old pin's connection is released")
        #expect(connections.first { $0.brokers == ["b:9092"] }?.entries == 1)
        let kinds = registry.history(namespace: Fixtures.key.namespace, name: Fixtures.key.name, triggerName: nil).entries.first?.events.map(\.event)
        #expect(kinds == ["pinned", "rollout_started", "rollout_progressed", "rollout_completed"])
    }

    @Test("a failing candidate holds the rollout while the pin keeps serving; a recovery resumes it")
    func failingCandidateHolds() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        kafka.answer("b:9092", .failure(KafkaLagError(.unavailable, "all brokers down")))
        try await round(registry, Fixtures.admission(a, version: 1))
        let bump = Fixtures.admission(b, version: 2, rollout: .shadow(observations: 1))
        #expect(try await round(registry, bump).totalLag == 4)
        var entry = try await status(of: registry) { $0.candidate?.state == "held" }
        #expect(entry.candidate?.failedReads == 1 && entry.candidate?.lastError == "all brokers down")
        #expect(entry.state == "ready" && entry.pinned.version == 1, "the pin is healthy")

        kafka.answer("b:9092", .success(.orders(committed: 1, latest: 9)))
        #expect(try await round(registry, bump).totalLag == 4)
        entry = try await status(of: registry) { $0.candidate == nil }
        #expect(entry.pinned.version == 2)
    }

    @Test("the pin fails mid-rollout: the same call answers from the candidate")
    func pinFailureAdoptsCandidate() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        kafka.answer("b:9092", .success(.orders(committed: 1, latest: 9)))
        try await round(registry, Fixtures.admission(a, version: 1))
        let bump = Fixtures.admission(b, version: 2, rollout: .shadow(observations: 5))
        try await round(registry, bump)
        _ = try await status(of: registry) { $0.candidate?.observations == 1 }
        kafka.answer("a:9092", .failure(KafkaLagError(.unavailable, "all brokers down")))
        #expect(try await round(registry, bump).totalLag == 8)
        let entry = try #require(registry.status().entries.first)
        #expect(entry.pinned.version == 2 && entry.pinned.brokers == ["b:9092"] && entry.candidate == nil)
    }
}
