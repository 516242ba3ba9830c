import GRPCClient
import GRPCCore
import KafkaScaler

/// One answer of the scaler: the call's result and how long it took.
struct TimedCall<Value: Sendable>: Sendable {
    var method: String
    var result: Result<Value, RPCError>
    var elapsed: Duration

    /// `OK` or the failed call's status code name.
    var statusName: String {
        switch result {
        case .success: "OK"
        case .failure(let error): "\(error.code)"
        }
    }

    /// Milliseconds with one decimal, for tables.
    var milliseconds: String {
        let (seconds, attoseconds) = elapsed.components
        let tenths = seconds * 10_000 + attoseconds / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) ms"
    }

    /// One table row: method, status, time, then the answer (`describe`) or the
    /// server's error message.
    func row(_ describe: (Value) -> String) -> String {
        let detail: String
        switch result {
        case .success(let value): detail = describe(value)
        case .failure(let error): detail = error.message
        }
        return "\(method.padding(14)) \(statusName.padding(19)) \(milliseconds.padding(9, left: true))  \(detail)"
    }
}

/// KEDA's calls for one ScaledObject in one polling round (`reference/keda-kafka.md`
/// §2.6): `GetMetricSpec`, then `GetMetrics` with the returned metric name, then
/// `IsActive` on the same ref. Like KEDA, a failed call ends the round.
struct KedaRound: Sendable {
    var metricSpec: TimedCall<[NamedMetric]>
    var metrics: TimedCall<[NamedMetric]>?
    var activity: TimedCall<Bool>?

    /// True when every call of the round succeeded.
    var succeeded: Bool {
        if case .success = activity?.result { return true }
        return false
    }

    /// The metric target from GetMetricSpec (`lagThreshold`).
    var target: NamedMetric? { try? metricSpec.result.get().first }
    /// The metric value from GetMetrics.
    var value: NamedMetric? { try? metrics?.result.get().first }
    /// The answer of IsActive.
    var isActive: Bool? { try? activity?.result.get() }

    /// Runs the round on `client`, each call bounded by `timeout`.
    static func run(_ client: GRPCClient, ref: ScaledObjectRef, timeout: Duration) async -> KedaRound {
        let service = "/externalscaler.ExternalScaler/"
        var specCall = await timed("GetMetricSpec") {
            await client.unary(
                service + "GetMetricSpec", request: ref, requestCodec: ExternalScalerCodecs.scaledObjectRef,
                responseCodec: ExternalScalerCodecs.getMetricSpecResponse, timeout: timeout)
        }
        // KEDA treats an empty spec list as an error ("got empty metric spec").
        if case .success(let specs) = specCall.result, specs.isEmpty {
            specCall.result = .failure(RPCError(code: .internal, message: "got empty metric spec"))
        }
        guard case .success(let specs) = specCall.result, let spec = specs.first else {
            return KedaRound(metricSpec: specCall)
        }
        let metricsCall = await timed("GetMetrics") {
            await client.unary(
                service + "GetMetrics", request: GetMetricsRequest(scaledObjectRef: ref, metricName: spec.name),
                requestCodec: ExternalScalerCodecs.getMetricsRequest,
                responseCodec: ExternalScalerCodecs.getMetricsResponse, timeout: timeout)
        }
        guard case .success = metricsCall.result else {
            return KedaRound(metricSpec: specCall, metrics: metricsCall)
        }
        let activeCall = await timed("IsActive") {
            await client.unary(
                service + "IsActive", request: ref, requestCodec: ExternalScalerCodecs.scaledObjectRef,
                responseCodec: ExternalScalerCodecs.isActiveResponse, timeout: timeout)
        }
        return KedaRound(metricSpec: specCall, metrics: metricsCall, activity: activeCall)
    }

    private static func timed<Value>(_ method: String, _ call: () async -> Result<Value, RPCError>) async -> TimedCall<Value> {
        let started = ContinuousClock.now
        let result = await call()
        return TimedCall(method: method, result: result, elapsed: started.duration(to: .now))
    }
}
