import Metrics

/// The registry's swift-metrics instruments (DESIGN.md §6 names), created once so the
/// request path does no factory lookups.
struct RegistryMetrics: Sendable {
    let cacheHits = Counter(label: "kafka_scaler_lag_cache_hits_total")
    let coalescedWaits = Counter(label: "kafka_scaler_coalesced_waits_total")
    let observationsOK = Counter(label: "kafka_scaler_observations_total", dimensions: [("result", "success")])
    let observationsFailed = Counter(label: "kafka_scaler_observations_total", dimensions: [("result", "failure")])
    let observationDuration = Metrics.Timer(label: "kafka_scaler_observation_duration_seconds", preferredDisplayUnit: .seconds)
    let entries = Gauge(label: "kafka_scaler_registry_entries")
    let handles = Gauge(label: "kafka_scaler_kafka_handles")
    let rebuilds = Counter(label: "kafka_scaler_connection_rebuilds_total")
    private let swaps: [SwapReason: Counter] = Dictionary(
        uniqueKeysWithValues: SwapReason.allCases.map {
            ($0, Counter(label: "kafka_scaler_registry_swaps_total", dimensions: [("reason", $0.rawValue)]))
        })

    func swapped(_ reason: SwapReason) {
        swaps[reason]?.increment()
    }

    func rejected(_ reason: String) {
        Counter(label: "kafka_scaler_registry_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    func profileError(_ profile: String) {
        Counter(label: "kafka_scaler_auth_profile_errors_total", dimensions: [("profile", profile)]).increment()
    }

    func kafkaError(kind: String) {
        Counter(label: "kafka_scaler_kafka_errors_total", dimensions: [("kind", kind)]).increment()
    }

    /// 1 while `key` has a pending source, else 0.
    func pending(_ key: RegistryKey, _ isPending: Bool) {
        pendingGauge(key).record(isPending ? 1 : 0)
    }

    /// `kafka_scaler_rollout_state` of `key`: 0 no rollout (`nil`), 1 in progress, 2 held.
    func rollout(_ key: RegistryKey, _ phase: RolloutCandidate.Phase?) {
        let value =
            switch phase {
            case nil: 0
            case .inProgress: 1
            case .held: 2
            }
        entryGauge("kafka_scaler_rollout_state", key).record(value)
    }

    /// Drops `key`'s per-entry series once its entry is evicted, so series do not pile up as
    /// ScaledObjects come and go (or a caller invents keys).
    func forget(_ key: RegistryKey) {
        pendingGauge(key).destroy()
        entryGauge("kafka_scaler_rollout_state", key).destroy()
    }

    private func pendingGauge(_ key: RegistryKey) -> Gauge {
        entryGauge("kafka_scaler_registry_pending", key)
    }

    private func entryGauge(_ label: String, _ key: RegistryKey) -> Gauge {
        Gauge(label: label, dimensions: [("namespace", key.namespace), ("scaledobject", key.name), ("trigger", key.triggerName)])
    }
}
