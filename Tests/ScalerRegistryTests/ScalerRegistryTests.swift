import Foundation
import KafkaLag
import Logging
import Synchronization
import Testing
@testable import ScalerRegistry

@Suite("Scaler registry at run time: reads, coalescing, recovery, status", .timeLimit(.minutes(1)))
struct ScalerRegistryTests {
    let kafka = FakeKafka()
    let clock = ManualClock()
    let a = Fixtures.source("a:9092")
    let b = Fixtures.source("b:9092")

    func makeRegistry(ttl: Duration = .seconds(2)) -> ScalerRegistry {
        var configuration = ScalerRegistry.Configuration.defaults
        configuration.lagCacheTTL = ttl
        return ScalerRegistry(
            configuration: configuration, readers: kafka, resolver: kafka, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test("100 concurrent reads of one trigger cost one Kafka read")
    func coalescing() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        kafka.state.withLock { $0.delay = .milliseconds(100) }
        let pin = try registry.admit(Fixtures.admission(a))
        let lags = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    return try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil).totalLag
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(lags.count == 100 && lags.allSatisfy { $0 == 4 })
        #expect(kafka.reads == 1)
        #expect(kafka.readersMade == 1)
    }

    @Test("an observation is reused within the TTL and read again after it")
    func cacheTTL() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(a))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        #expect(registry.cachedObservation(for: pin) != nil)
        clock.advance(.seconds(2))
        #expect(registry.cachedObservation(for: pin) == nil)
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        #expect(kafka.reads == 2)
    }

    @Test("500 triggers on one cluster share one connection")
    func sharing() async throws {
        let registry = makeRegistry(ttl: .zero)
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        for index in 0..<500 {
            let key = RegistryKey(namespace: "shop", name: "consumer-\(index)")
            let pin = try registry.admit(Fixtures.admission(a, key: key))
            _ = try await registry.evaluate(key, admitted: pin, scaling: .defaults, deadline: nil)
        }
        #expect(kafka.readersMade == 1)
        #expect(registry.status().connections.map(\.entries) == [500])
    }

    @Test("the pinned source fails with a pending one: the same call answers from the pending source")
    func failureAdoptsPending() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .failure(KafkaLagError(.unavailable, "all brokers down")))
        kafka.answer("b:9092", .success(.orders(committed: 1, latest: 8)))
        let pinA = try registry.admit(Fixtures.admission(a))
        let served = try registry.admit(Fixtures.admission(b))
        #expect(served == pinA, "drift is served from the pin")
        #expect(try await registry.evaluate(Fixtures.key, admitted: served, scaling: .defaults, deadline: nil).totalLag == 7)
        #expect(registry.pinned(Fixtures.key)?.source == b)
        let status = registry.status()
        #expect(status.entries.first?.pinned.brokers == ["b:9092"])
        #expect(status.entries.first?.pending == nil)
        #expect(status.entries.first?.state == "ready")
    }

    @Test("the pinned source fails with nothing pending: error, one rebuild, then backoff instead of churn")
    func failureBacksOff() async throws {
        let registry = makeRegistry(ttl: .zero)
        kafka.answer("a:9092", .failure(KafkaLagError(.unavailable, "all brokers down")))
        let pin = try registry.admit(Fixtures.admission(a))
        await #expect(throws: KafkaLagError.self) { _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil) }
        #expect(kafka.reads == 2, "read, rebuild, retry once")
        #expect(kafka.readersMade == 2)
        await #expect(throws: KafkaLagError.self) { _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil) }
        #expect(kafka.reads == 3, "no retry while backing off")
        #expect(kafka.readersMade == 2)
        #expect(registry.status().entries.first?.state == "backoff")

        kafka.answer("a:9092", .success(.orders(committed: 2, latest: 3)))
        clock.advance(.seconds(1))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        #expect(registry.status().entries.first?.state == "ready")
    }

    @Test("a failure re-reads auth-profile files: a rotated credential is adopted and retried at once")
    func failureRereadsProfile() async throws {
        let registry = makeRegistry()
        let rotated = Fixtures.source("a:9092", password: "rotated")
        kafka.state.withLock { $0.reResolved["a:9092"] = rotated }
        kafka.answer("a:9092", .failure(KafkaLagError(.unauthenticated, "SASL authentication failed")))
        let pin = try registry.admit(Fixtures.admission(Fixtures.source("a:9092", password: "old")))
        // The fake answers per broker, so the retry through the rotated source fails too; the pin still moved.
        await #expect(throws: KafkaLagError.self) { _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil) }
        #expect(registry.status().entries.first?.pinned.fingerprint == rotated.fingerprint)
    }

    @Test("excludePersistentLag advances once per new observation, whichever RPC consumes it")
    func persistentLagAdvancesOncePerObservation() async throws {
        let registry = makeRegistry()
        var scaling = ScalingParameters.defaults
        scaling.excludePersistentLag = true
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(a))

        func round() async throws -> [Evaluation] {
            let metrics = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: scaling, deadline: nil)
            let isActive = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: scaling, deadline: nil)
            return [metrics, isActive]
        }
        let first = try await round()
        #expect(first.map(\.totalLag) == [4, 4], "GetMetrics and IsActive of one round agree")
        clock.advance(.seconds(2))
        let second = try await round()
        #expect(second.map(\.totalLag) == [0, 0], "unchanged committed offset: persistent lag excluded")
        #expect(second.allSatisfy { $0.isActive }, "activity uses the lag with persistent partitions")
    }

    @Test("the fast path reuses the kept evaluation for the same observation and parameters")
    func fastPathReusesEvaluation() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let admission = Fixtures.admission(a)
        guard case .uncached = try registry.admit(admission, cachedFor: .defaults) else {
            Issue.record("nothing is cached before the first read")
            return
        }
        // Another trigger on the same source reads it: this entry finds a fresh observation it
        // has not evaluated yet, and the fast path evaluates it.
        let twin = RegistryKey(namespace: "shop", name: "orders-twin")
        _ = try await registry.evaluate(twin, admitted: try registry.admit(Fixtures.admission(a, key: twin)), scaling: .defaults, deadline: nil)
        guard case .evaluated(let computed) = try registry.admit(admission, cachedFor: .defaults) else {
            Issue.record("a fresh observation not evaluated yet is evaluated on the fast path")
            return
        }
        #expect(computed.totalLag == 4)
        for _ in 0..<3 {
            let answer = try registry.admit(admission, cachedFor: .defaults)
            guard case .evaluated(let reused) = answer else {
                Issue.record("same observation and parameters: the kept evaluation is reused, got \(answer)")
                return
            }
            #expect(reused == computed)
        }
        #expect(kafka.reads == 1)
        #expect(registry.status().entries.first?.lastEvaluation?.metric == 4)

        // A newer observation of another source: the kept evaluation is found through the cache instead.
        kafka.answer("b:9092", .success(.orders(committed: 1, latest: 8)))
        let other = RegistryKey(namespace: "shop", name: "billing")
        _ = try await registry.evaluate(other, admitted: try registry.admit(Fixtures.admission(b, key: other)), scaling: .defaults, deadline: nil)
        guard case .evaluated(let stillKept) = try registry.admit(admission, cachedFor: .defaults) else {
            Issue.record("another source's read does not invalidate this entry's kept evaluation")
            return
        }
        #expect(stillKept == computed)
        #expect(kafka.reads == 2)
    }

    @Test("a changed lagThreshold is applied at once, not served from the kept evaluation")
    func fastPathRecomputesChangedParameters() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let admission = Fixtures.admission(a)
        #expect(
            try await registry.evaluate(Fixtures.key, admitted: try registry.admit(admission), scaling: .defaults, deadline: nil).metricValue == 4)
        var lower = ScalingParameters.defaults
        lower.lagThreshold = 2
        guard case .evaluated(let again) = try registry.admit(admission, cachedFor: lower) else {
            Issue.record("other parameters are evaluated afresh from the cached observation")
            return
        }
        #expect(again.metricValue == 2, "capped at 1 partition × 2")
        guard case .evaluated(let kept) = try registry.admit(admission, cachedFor: lower) else {
            Issue.record("the new parameters' evaluation is kept")
            return
        }
        #expect(kept.metricValue == 2)
        guard case .evaluated(let back) = try registry.admit(admission, cachedFor: .defaults) else {
            Issue.record("the first parameters are evaluated again from the cached observation")
            return
        }
        #expect(back.metricValue == 4)
        #expect(kafka.reads == 1)
    }

    @Test("excludePersistentLag advances once per observation when the fast path answers the round's second call")
    func fastPathAdvancesPersistentLagOnce() async throws {
        let registry = makeRegistry()
        var scaling = ScalingParameters.defaults
        scaling.excludePersistentLag = true
        let admission = Fixtures.admission(a)

        func round(committed: Int64) async throws -> [Evaluation] {
            kafka.answer("a:9092", .success(.orders(committed: committed, latest: 9)))
            let metrics = try await registry.evaluate(Fixtures.key, admitted: try registry.admit(admission), scaling: scaling, deadline: nil)
            guard case .evaluated(let isActive) = try registry.admit(admission, cachedFor: scaling) else {
                Issue.record("the round's second call is answered from the kept evaluation")
                return [metrics]
            }
            let repeated = try await registry.evaluate(Fixtures.key, admitted: try registry.admit(admission), scaling: scaling, deadline: nil)
            clock.advance(.seconds(2))
            return [metrics, isActive, repeated]
        }
        #expect(try await round(committed: 5).map(\.totalLag) == [4, 4, 4])
        let persistent = try await round(committed: 5)
        #expect(persistent.map(\.totalLag) == [0, 0, 0], "unchanged committed offset: persistent lag excluded")
        #expect(persistent.allSatisfy { $0.isActive }, "activity uses the lag with persistent partitions")
        #expect(try await round(committed: 7).map(\.totalLag) == [2, 2, 2], "a moved offset counts again")
        #expect(try await round(committed: 7).map(\.totalLag) == [0, 0, 0], "one advance per observation")
        #expect(kafka.reads == 4)
    }

    @Test("a version swap drops persistent-lag history")
    func swapResetsPersistence() async throws {
        let registry = makeRegistry(ttl: .zero)
        var scaling = ScalingParameters.defaults
        scaling.excludePersistentLag = true
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        var pin = try registry.admit(Fixtures.admission(a))
        for _ in 0..<2 {
            _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: scaling, deadline: nil)
        }
        pin = try registry.admit(Fixtures.admission(a, version: 1))
        #expect(try await registry.evaluate(Fixtures.key, admitted: pin, scaling: scaling, deadline: nil).totalLag == 4)
    }

    @Test("a reload adopts the pending source now")
    func reloadAdoptsPending() async throws {
        let registry = makeRegistry()
        _ = try registry.admit(Fixtures.admission(a))
        _ = try registry.admit(Fixtures.admission(b))
        #expect(registry.status().entries.first?.pending?.brokers == ["b:9092"])
        #expect(await registry.reload(nil) == 1)
        let entry = registry.status().entries.first
        #expect(entry?.pinned.brokers == ["b:9092"] && entry?.pending == nil)
    }

    @Test("GetMetricSpec-style admission opens no connection")
    func admissionDoesNoIO() throws {
        let registry = makeRegistry()
        _ = try registry.admit(Fixtures.admission(a))
        #expect(kafka.readersMade == 0 && kafka.reads == 0)
        #expect(registry.status().connections.first?.state == "unopened")
    }

    @Test("the status JSON has every key, pending as null, and no secret")
    func statusJSON() async throws {
        let registry = makeRegistry()
        let secret = Fixtures.source("a:9092", password: "hunter2-very-secret")
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(secret))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        let json = String(decoding: try JSONEncoder().encode(registry.status()), as: UTF8.self)
        #expect(!json.contains("hunter2"))
        #expect(json.contains(#""pending":null"#))
        #expect(json.contains(#""lastEvaluation":{"#) && json.contains(#""totalLag":4"#))
    }

    @Test("shutdown closes every connection")
    func shutdownClosesAll() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(a))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        await registry.shutdown()
        #expect(kafka.state.withLock(\.readersClosed) == 1)
    }

    @Test("shutdown closes connections concurrently, and a read after it opens none")
    func shutdownIsConcurrentAndFinal() async throws {
        let registry = makeRegistry()
        let sources = (0..<20).map { Fixtures.source("broker-\($0):9092") }
        for (index, source) in sources.enumerated() {
            kafka.answer(source.connection.bootstrapServers[0], .success(.orders(committed: 5, latest: 9)))
            let key = RegistryKey(namespace: "shop", name: "consumer-\(index)")
            _ = try await registry.evaluate(
                key, admitted: try registry.admit(Fixtures.admission(source, key: key)), scaling: .defaults, deadline: nil)
        }
        kafka.state.withLock { $0.closeDelay = .milliseconds(300) }
        let start = ContinuousClock.now
        await registry.shutdown()
        let took = ContinuousClock.now - start
        #expect(kafka.state.withLock(\.readersClosed) == 20)
        #expect(took < .seconds(2), "20 closes of 300 ms each took \(took)")

        let late = RegistryKey(namespace: "shop", name: "late")
        let pin = try registry.admit(Fixtures.admission(b, key: late))
        let error = await #expect(throws: KafkaLagError.self) { try await registry.evaluate(late, admitted: pin, scaling: .defaults, deadline: nil) }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "the scaler is shutting down")
        #expect(kafka.readersMade == 20, "no connection opened after shutdown")
    }

    @Test("opening a connection holds no lock: other triggers are admitted and listed meanwhile, and concurrent first reads share one open")
    func openOutsideTheLock() async throws {
        let registry = makeRegistry()
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        kafka.state.withLock { $0.openDelay = .seconds(1) }
        let pins = try (0..<10).map { index in
            let key = RegistryKey(namespace: "shop", name: "reader-\(index)")
            return (key, try registry.admit(Fixtures.admission(Fixtures.source("a:9092", topic: "topic-\(index)"), key: key)))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Measured from before the reads start: a lock held during the 1 s open would hold
            // this task's admission and status until it ends. The bound leaves room for
            // ThreadSanitizer's slowdown (750 ms seen) and stays below the open.
            let start = ContinuousClock.now
            for (key, pin) in pins {
                group.addTask { _ = try? await registry.evaluate(key, admitted: pin, scaling: .defaults, deadline: nil) }
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = try registry.admit(Fixtures.admission(b, key: RegistryKey(namespace: "shop", name: "other")))
            _ = registry.status()
            let took = ContinuousClock.now - start
            #expect(took < .milliseconds(900), "a 200 ms pause, an admission and a status took \(took) beside a connection being opened")
            try await group.waitForAll()
        }
        #expect(kafka.readersMade == 1, "ten first reads through one connection open it once")
    }
}

@Suite("Scaler registry: deleted ScaledObjects do not keep entries or connections", .timeLimit(.minutes(1)))
struct ScalerRegistryEvictionTests {
    @Test("sweep evicts an idle entry, then closes its connection after the pool's idle timeout")
    func evictionReleasesConnections() async throws {
        let kafka = FakeKafka()
        let clock = ManualClock()
        let registry = ScalerRegistry(
            configuration: .defaults, readers: kafka, resolver: kafka, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(Fixtures.source("a:9092")))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil)
        clock.advance(.seconds(900))
        await registry.sweep()
        #expect(registry.status().entries.isEmpty)
        #expect(registry.status().connections.first?.state == "idle")
        clock.advance(.seconds(300))
        await registry.sweep()
        #expect(registry.status().connections.isEmpty)
        #expect(kafka.state.withLock(\.readersClosed) == 1)
    }

    @Test("sweep replaces a connection that needs replacement; the entry keeps its pin and reads through a new one")
    func sweepReplacesWornConnections() async throws {
        let kafka = FakeKafka()
        let registry = ScalerRegistry(
            configuration: .defaults, readers: kafka, resolver: kafka, clock: ManualClock(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        kafka.answer("a:9092", .success(.orders(committed: 5, latest: 9)))
        let pin = try registry.admit(Fixtures.admission(Fixtures.source("a:9092")))
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil, maxAge: .zero)
        await registry.sweep()
        #expect(kafka.state.withLock(\.readersClosed) == 0, "a healthy connection stays")
        kafka.state.withLock { $0.worn = true }
        await registry.sweep()
        #expect(kafka.state.withLock(\.readersClosed) == 1)
        kafka.state.withLock { $0.worn = false }
        _ = try await registry.evaluate(Fixtures.key, admitted: pin, scaling: .defaults, deadline: nil, maxAge: .zero)
        #expect(kafka.readersMade == 2)
        #expect(registry.pinned(Fixtures.key)?.generation == pin.generation)
    }
}

@Suite("Scaler registry: caps on entries and Kafka connections")
struct ScalerRegistryCapTests {
    let kafka = FakeKafka()

    func makeRegistry(maxEntries: Int, maxConnections: Int) -> ScalerRegistry {
        var configuration = ScalerRegistry.Configuration.defaults
        configuration.maxEntries = maxEntries
        configuration.maxConnections = maxConnections
        return ScalerRegistry(
            configuration: configuration, readers: kafka, resolver: kafka, clock: ManualClock(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func key(_ name: String) -> RegistryKey { RegistryKey(namespace: "ns", name: name) }

    @Test("past --max-registry-entries a new entry is RESOURCE_EXHAUSTED naming the flag; existing ones keep being admitted")
    func entryCap() throws {
        let registry = makeRegistry(maxEntries: 2, maxConnections: 100)
        for name in ["a", "b"] { _ = try registry.admit(Fixtures.admission(Fixtures.source(), key: key(name))) }
        let error = #expect(throws: KafkaLagError.self) { try registry.admit(Fixtures.admission(Fixtures.source(), key: key("c"))) }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message.contains("--max-registry-entries") == true)
        _ = try registry.admit(Fixtures.admission(Fixtures.source("b:9092"), key: key("a")))  // drift of an existing entry
        _ = try registry.admit(Fixtures.admission(Fixtures.source(), version: 3, key: key("b")))  // a bump on a held connection
        #expect(registry.status().entries.count == 2)
    }

    @Test("past --max-kafka-connections a trigger that would add a connection is refused; held connections stay open to new entries")
    func connectionCap() throws {
        let registry = makeRegistry(maxEntries: 100, maxConnections: 2)
        _ = try registry.admit(Fixtures.admission(Fixtures.source("a:9092"), key: key("a")))
        _ = try registry.admit(Fixtures.admission(Fixtures.source("b:9092"), key: key("b")))
        let third = #expect(throws: KafkaLagError.self) { try registry.admit(Fixtures.admission(Fixtures.source("c:9092"), key: key("c"))) }
        #expect(third?.message.contains("--max-kafka-connections") == true)
        let bump = #expect(throws: KafkaLagError.self) {
            try registry.admit(Fixtures.admission(Fixtures.source("c:9092"), version: 1, key: key("a")))
        }
        #expect(bump?.code == .resourceExhausted)
        _ = try registry.admit(Fixtures.admission(Fixtures.source("a:9092", group: "other"), key: key("d")))  // same connection: allowed
        #expect(registry.pinned(key("a"))?.version == 0)
    }
}
