/// The replica count an HPA would pick from the scaler's answers, for the demo's
/// view: KEDA's external metric is an `AverageValue` target, so the HPA wants
/// `ceil(metric / target)` replicas; the Kafka trigger's metric is already capped by
/// the partition count, and the view caps at it too (more consumers than partitions
/// would idle). With `minReplicaCount: 0` an inactive trigger scales to zero.
struct ReplicaEstimate: Hashable, Sendable {
    /// `ceil(metric / target)`, before any cap.
    var wanted: Int64
    /// What the HPA would run.
    var replicas: Int64

    init(metric: Int64, target: Int64, active: Bool, maximum: Int64, minimum: Int64 = 0) {
        let metric = max(0, metric)
        wanted = target > 0 ? (metric / target) + (metric % target == 0 ? 0 : 1) : 0
        if !active, minimum == 0 {
            replicas = 0
        } else {
            replicas = min(maximum, max(max(minimum, 1), wanted))
        }
    }
}
