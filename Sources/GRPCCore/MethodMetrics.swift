import Metrics
import Synchronization

/// The per-method request metrics (`kafka_scaler_grpc_requests_total{method,code}` and
/// `kafka_scaler_grpc_request_duration_seconds{method}`), with every metric object created
/// once and cached so a request never goes through the metrics factory.
public final class MethodMetrics: Sendable {
    /// The counter's name.
    public static let requestsLabel = "kafka_scaler_grpc_requests_total"
    /// The timer's name.
    public static let durationLabel = "kafka_scaler_grpc_request_duration_seconds"

    /// The `method` dimension.
    public let method: String
    private let duration: Metrics.Timer
    /// The factory current at creation (the task-local one in tests), used for later counters.
    private let factory: any MetricsFactory
    /// Counters by status code, made on first use (so unused codes export no series).
    private let counters: Mutex<[Counter?]>

    /// Makes the metrics of one method (the factory is consulted now, never per request).
    public init(method: String) {
        self.method = method
        factory = MetricsSystem.factory
        duration = Metrics.Timer(label: Self.durationLabel, dimensions: [("method", method)], factory: factory)
        counters = Mutex(Array(repeating: nil, count: StatusCode.allCodes.count))
    }

    /// Records one finished call.
    public func record(code: StatusCode, durationNanoseconds: Int64) {
        duration.recordNanoseconds(durationNanoseconds)
        let counter = counters.withLock { counters in
            if let counter = counters[code.rawValue] { return counter }
            let counter = Counter(
                label: Self.requestsLabel,
                dimensions: [("method", method), ("code", code.description)],
                factory: factory
            )
            counters[code.rawValue] = counter
            return counter
        }
        counter.increment()
    }
}
