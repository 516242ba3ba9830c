import Metrics
import MetricsTestKit
import Testing

@testable import GRPCCore

@Suite("Request metrics")
struct MethodMetricsTests {
    @Test("Calls are counted by method and code and timed by method")
    func recordsCallsAndDurations() throws {
        let factory = TestMetrics()
        let metrics = withMetricsFactory(factory) { MethodMetrics(method: "grpc.health.v1.Health/Check") }
        metrics.record(code: .ok, durationNanoseconds: 1_500)
        metrics.record(code: .ok, durationNanoseconds: 2_500)
        metrics.record(code: .notFound, durationNanoseconds: 700)
        let ok = try factory.expectCounter(
            "kafka_scaler_grpc_requests_total",
            [("method", "grpc.health.v1.Health/Check"), ("code", "OK")]
        )
        #expect(ok.totalValue == 2)
        let notFound = try factory.expectCounter(
            "kafka_scaler_grpc_requests_total",
            [("method", "grpc.health.v1.Health/Check"), ("code", "NOT_FOUND")]
        )
        #expect(notFound.totalValue == 1)
        let timer = try factory.expectTimer(
            "kafka_scaler_grpc_request_duration_seconds",
            [("method", "grpc.health.v1.Health/Check")]
        )
        #expect(timer.values == [1_500, 2_500, 700])
        #expect(factory.counters(label: "kafka_scaler_grpc_requests_total").count == 2)
    }
}
