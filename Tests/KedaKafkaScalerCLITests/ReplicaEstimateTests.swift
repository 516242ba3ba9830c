import Testing

@testable import keda_kafka_scaler

@Suite("HPA replica estimate of the demo")
struct ReplicaEstimateTests {
    @Test(
        "ceil(metric / target), capped at the partitions; zero when inactive",
        arguments: [
            (Int64(0), Int64(100), false, Int64(0), Int64(0)),
            (1, 100, true, 1, 1),
            (100, 100, true, 1, 1),
            (101, 100, true, 2, 2),
            (550, 100, true, 6, 6),
            (5_000, 100, true, 50, 6),
            (30, 100, false, 1, 0),
            (-5, 100, true, 0, 1),
        ])
    func estimate(metric: Int64, target: Int64, active: Bool, wanted: Int64, replicas: Int64) {
        let estimate = ReplicaEstimate(metric: metric, target: target, active: active, maximum: 6)
        #expect(estimate.wanted == wanted)
        #expect(estimate.replicas == replicas)
    }

    @Test("a minReplicaCount above zero keeps replicas when inactive")
    func minimum() {
        #expect(ReplicaEstimate(metric: 0, target: 100, active: false, maximum: 6, minimum: 2).replicas == 2)
    }
}
