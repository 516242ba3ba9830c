import Metrics
import Prometheus

/// The process-wide swift-metrics backend: Prometheus, exposed on the ops port.
/// The only file that imports Prometheus (its `Counter` clashes with swift-metrics').
enum MetricsBootstrap {
    /// Bootstraps swift-metrics once and returns the `/metrics` exposition.
    static func prometheus() -> @Sendable () -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return { registry.emitToBuffer() }
    }
}
