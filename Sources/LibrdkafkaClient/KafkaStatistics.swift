import KafkaLag
import Foundation

/// A snapshot of librdkafka's statistics JSON (`statistics.interval.ms`),
/// reduced to what proves the request budget: requests sent, by API and broker.
public struct KafkaStatistics: Sendable, Hashable {
    /// One broker connection of the handle (bootstrap entries included).
    public struct Broker: Sendable, Hashable {
        /// librdkafka's name, e.g. `127.0.0.1:40123/2`.
        public var name: String
        /// Broker id, `-1` for a bootstrap entry not yet identified.
        public var nodeID: Int
        /// Connection state, e.g. `UP`, `DOWN`, `INIT`.
        public var state: String
        /// Requests sent since the handle started, by API name (`OffsetFetch`, `ListOffsets`, `Metadata`, …).
        public var requests: [String: Int]
    }

    /// Every broker connection of the handle, sorted by name.
    public var brokers: [Broker]

    /// Requests sent by all brokers together, by API name.
    public var requests: [String: Int] {
        brokers.reduce(into: [:]) { total, broker in
            total.merge(broker.requests, uniquingKeysWith: +)
        }
    }

    /// Requests sent between `earlier` and this snapshot, by API name (non-zero only).
    public func requests(since earlier: KafkaStatistics) -> [String: Int] {
        let before = earlier.requests
        return requests.reduce(into: [:]) { delta, entry in
            let sent = entry.value - (before[entry.key] ?? 0)
            if sent != 0 { delta[entry.key] = sent }
        }
    }

    /// Requests of one API sent between `earlier` and this snapshot, by broker name.
    public func requests(_ api: String, since earlier: KafkaStatistics) -> [String: Int] {
        let before = Dictionary(earlier.brokers.map { ($0.name, $0.requests[api] ?? 0) }, uniquingKeysWith: max)
        return brokers.reduce(into: [:]) { delta, broker in
            let sent = (broker.requests[api] ?? 0) - (before[broker.name] ?? 0)
            if sent != 0 { delta[broker.name] = sent }
        }
    }

    /// Decodes librdkafka's statistics JSON; `nil` if it is not that.
    init?(json: String) {
        guard let decoded = try? JSONDecoder().decode(Wire.self, from: Data(json.utf8)) else { return nil }
        brokers = decoded.brokers.values
            .map { Broker(name: $0.name, nodeID: $0.nodeid, state: $0.state, requests: $0.req ?? [:]) }
            .sorted { $0.name < $1.name }
    }

    private struct Wire: Decodable {
        struct Broker: Decodable {
            var name: String
            var nodeid: Int
            var state: String
            var req: [String: Int]?
        }
        var brokers: [String: Broker]
    }
}
