import Foundation
import KafkaLag

/// What operators see at `GET /registry` (DESIGN.md §6): every entry's pin, pending
/// source, state and last evaluation, and every pooled connection. Built from
/// fingerprints and names only: no secret can appear in it.
public struct RegistryStatus: Sendable, Encodable {
    /// A source without its credentials.
    public struct SourceSummary: Sendable, Encodable, Hashable {
        public var version: UInt64
        public var fingerprint: String
        public var brokers: [String]
        public var group: String
        public var topic: String
        /// When a pending source was first seen (pending only).
        public var since: String?
    }

    public struct EvaluationSummary: Sendable, Encodable, Hashable {
        public var at: String
        public var metric: Int64
        public var active: Bool
        public var totalLag: Int64
    }

    /// A shadow rollout's candidate, beside the pin so the two can be compared before the swap.
    public struct CandidateSummary: Sendable, Encodable, Hashable {
        public var source: SourceSummary
        /// `in_progress` or `held`.
        public var state: String
        /// Consecutive successful reads so far, and how many pin it.
        public var observations: Int
        public var required: Int
        public var failedReads: Int
        public var lastError: String?
        public var lastEvaluation: EvaluationSummary?

        private enum CodingKeys: String, CodingKey {
            case version, fingerprint, brokers, group, topic, since, state, observations, required, failedReads, lastError, lastEvaluation
        }

        /// The source's fields at the top level, as for the pin; absent values as `null`.
        public func encode(to encoder: any Encoder) throws {
            try source.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try container.encode(observations, forKey: .observations)
            try container.encode(required, forKey: .required)
            try container.encode(failedReads, forKey: .failedReads)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(lastEvaluation, forKey: .lastEvaluation)
        }
    }

    public struct Entry: Sendable, Encodable, Hashable {
        public var namespace: String
        public var name: String
        public var triggerName: String
        public var pinned: SourceSummary
        public var pending: SourceSummary?
        /// The candidate of a shadow rollout under way.
        public var candidate: CandidateSummary?
        public var state: String
        public var lastError: String?
        public var lastEvaluation: EvaluationSummary?
        /// The fingerprint of the pooled connection the entry reads through.
        public var connection: String

        private enum CodingKeys: String, CodingKey {
            case namespace, name, triggerName, pinned, pending, candidate, state, lastError, lastEvaluation, connection
        }

        /// Absent values are written as `null`, so every key is always present.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(namespace, forKey: .namespace)
            try container.encode(name, forKey: .name)
            try container.encode(triggerName, forKey: .triggerName)
            try container.encode(pinned, forKey: .pinned)
            try container.encode(pending, forKey: .pending)
            try container.encode(candidate, forKey: .candidate)
            try container.encode(state, forKey: .state)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(lastEvaluation, forKey: .lastEvaluation)
            try container.encode(connection, forKey: .connection)
        }
    }

    public struct Connection: Sendable, Encodable, Hashable {
        public var key: String
        public var brokers: [String]
        public var entries: Int
        /// `open`, `idle` (no entry uses it; closed after the idle timeout),
        /// `backoff` (rebuilt recently after a failure) or `unopened` (no read yet).
        public var state: String
    }

    public var entries: [Entry]
    public var connections: [Connection]
}

extension RegistryStatus {
    /// Built from copies taken under the registry's lock, outside it: fingerprints are HMACs,
    /// and thousands of them must not stall every request.
    init(
        entries machineEntries: [RegistryKey: RegistryStateMachine.Entry], lag: [RegistryKey: EntryLag], pool: [ConnectionPool<PooledReader>.Snapshot]
    ) {
        entries = machineEntries.keys.sorted().map { key in
            let entry = machineEntries[key]!
            let pin = entry.pinned
            return Entry(
                namespace: key.namespace, name: key.name, triggerName: key.triggerName,
                pinned: SourceSummary(pin.source, version: pin.version, since: nil),
                pending: entry.pending.map { SourceSummary($0.source, version: pin.version, since: Self.timestamp($0.since)) },
                candidate: entry.candidate.map { candidate in
                    CandidateSummary(
                        source: SourceSummary(candidate.source, version: candidate.version, since: Self.timestamp(candidate.since)),
                        state: candidate.phase.rawValue, observations: candidate.observations, required: candidate.required,
                        failedReads: candidate.failedReads, lastError: candidate.lastError,
                        lastEvaluation: candidate.lastEvaluation.map(EvaluationSummary.init))
                },
                state: entry.state.rawValue, lastError: entry.lastError,
                lastEvaluation: lag[key]?.last.map(EvaluationSummary.init),
                connection: pin.source.connection.fingerprint
            )
        }
        connections = pool.sorted { $0.settings.fingerprint < $1.settings.fingerprint }.map { snapshot in
            let state = !snapshot.open ? "unopened" : snapshot.backingOff ? "backoff" : snapshot.idleSince != nil ? "idle" : "open"
            return Connection(
                key: snapshot.settings.fingerprint, brokers: snapshot.settings.bootstrapServers, entries: snapshot.entries, state: state)
        }
    }

    static func timestamp(_ instant: RegistryInstant) -> String {
        Date(timeIntervalSince1970: instant.wallSeconds).ISO8601Format()
    }
}

extension RegistryStatus.EvaluationSummary {
    init(_ last: LastEvaluation) {
        self.init(at: RegistryStatus.timestamp(last.at), metric: last.metric, active: last.active, totalLag: last.totalLag)
    }
}

extension RegistryStatus.SourceSummary {
    init(_ source: Source, version: UInt64, since: String?) {
        self.init(
            version: version, fingerprint: source.fingerprint, brokers: source.connection.bootstrapServers,
            group: source.consumerGroup, topic: source.topic, since: since)
    }
}
