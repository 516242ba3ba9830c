import KafkaLag
import Metrics

/// `kafka_scaler_kafka_requests_total{api}`: requests this process sent to Kafka,
/// by protocol API, fed from librdkafka's per-broker statistics (so librdkafka's
/// own requests, such as Metadata refreshes and coordinator lookups, count too).
enum KafkaRequestMetrics {
    /// Adds the requests sent between two statistics snapshots of one handle.
    static func count(_ requests: [String: Int], since previous: [String: Int]) {
        for (api, total) in requests {
            let sent = total - (previous[api] ?? 0)
            guard sent > 0 else { continue }
            Counter(label: "kafka_scaler_kafka_requests_total", dimensions: [("api", api)]).increment(by: Int64(sent))
        }
    }
}
