import Foundation
import KafkaLag
import Synchronization
import TimeUnits
@testable import ScalerRegistry

/// A stand-in Kafka for registry tests: answers per bootstrap server, counts
/// readers made and reads, and can be slow. The registry's own logic is what is
/// under test; the real client is tested against librdkafka's mock cluster.
final class FakeKafka: KafkaReaderFactory, SourceResolver {
    struct State {
        var answers: [String: Result<Observation, KafkaLagError>] = [:]
        var readersMade = 0
        var readersClosed = 0
        var reads = 0
        var delay: Duration = .zero
        /// What re-resolution returns, by bootstrap server (auth-profile rotation).
        var reResolved: [String: Source] = [:]
        /// Readers made from now on report that they need replacement.
        var worn = false
        /// How long making a reader blocks its thread (librdkafka's rd_kafka_new).
        var openDelay: Duration = .zero
        /// How long closing a reader takes (rd_kafka_destroy joining its threads).
        var closeDelay: Duration = .zero
        /// Auth-profile stamps by name (absent: the profile is gone).
        var profileStamps: [String: String] = [:]
        /// Entries whose metadata was searched for a profile name (scans of the registry).
        var profileNameLookups = 0
    }

    let state = Mutex(State())

    func answer(_ brokers: String, _ result: Result<Observation, KafkaLagError>) {
        state.withLock { $0.answers[brokers] = result }
    }

    var reads: Int { state.withLock(\.reads) }
    var readersMade: Int { state.withLock(\.readersMade) }

    func makeReader(for settings: ConnectionSettings) async throws(KafkaLagError) -> any KafkaReader {
        let delay = state.withLock { state in
            state.readersMade += 1
            return state.openDelay
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return Reader(kafka: self)
    }

    func profileName(in metadata: [String: String]) -> String? {
        state.withLock { $0.profileNameLookups += 1 }
        return metadata["authProfile"]
    }

    func profileStamp(_ name: String) -> String? {
        state.withLock { $0.profileStamps[name] }
    }

    func reResolve(_ metadata: [String: String], namespace: String) throws(KafkaLagError) -> Source {
        if let name = metadata["authProfile"], profileStamp(name) == nil {
            throw KafkaLagError(.invalidMetadata, "auth profile \"\(name)\" not found")
        }
        let brokers = metadata["bootstrapServers"] ?? ""
        if let rotated = state.withLock({ $0.reResolved[brokers] }) { return rotated }
        return Fixtures.source(brokers)
    }

    final class Reader: KafkaReader {
        let kafka: FakeKafka
        init(kafka: FakeKafka) { self.kafka = kafka }

        func observe(_ source: Source, deadline: ContinuousClock.Instant?) async throws(KafkaLagError) -> Observation {
            let (answer, delay) = kafka.state.withLock { state in
                state.reads += 1
                return (state.answers[source.connection.bootstrapServers[0]], state.delay)
            }
            if delay > .zero { try? await Task.sleep(for: delay) }
            guard let answer else { throw KafkaLagError(.unavailable, "no answer configured") }
            return try answer.get()
        }

        var needsReplacement: Bool { kafka.state.withLock(\.worn) }

        func close() async {
            let delay = kafka.state.withLock(\.closeDelay)
            if delay > .zero { try? await Task.sleep(for: delay) }
            kafka.state.withLock { $0.readersClosed += 1 }
        }
    }
}

extension Observation {
    /// One partition of `orders` with the given committed and latest offsets.
    static func orders(committed: Int64, latest: Int64) -> Observation {
        Observation(committed: [TopicPartition(topic: "orders", partition: 0): committed], latest: ["orders": [0: latest]])
    }
}
