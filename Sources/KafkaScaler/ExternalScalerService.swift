public import GRPCCore
import KafkaLag
import Logging
import Metrics
public import ScalerRegistry

/// `externalscaler.ExternalScaler`, served from the versioned connection registry:
/// lag exactly as KEDA's in-tree `kafka` trigger computes it, one Kafka read per
/// KEDA round, and Kafka sources that change only on a `configVersion` bump, a
/// failure or a reload.
public struct ExternalScalerService: RPCService {
    private let registry: ScalerRegistry
    private let resolver: TriggerResolver
    private let interner = ScaledObjectRefInterner(limits: .defaults)
    private let streamsOpen: [String: Meter]

    public init(registry: ScalerRegistry, resolver: TriggerResolver) {
        self.registry = registry
        self.resolver = resolver
        self.streamsOpen = Dictionary(
            uniqueKeysWithValues: ["StreamIsActive", "StreamMetricSpec"].map {
                ($0, Meter(label: "kafka_scaler_streams_open", dimensions: [("method", $0)]))
            })
    }

    public var serviceName: String { "externalscaler.ExternalScaler" }

    public var methods: [RPCMethod] {
        let methods: [RPCMethod] = [
            .unary("IsActive", request: interner.scaledObjectRefCodec, response: ExternalScalerCodecs.isActiveResponse) {
                ref, context in evaluate(ref, context) { $0.isActive }
            },
            .unary("GetMetrics", request: interner.getMetricsRequestCodec, response: ExternalScalerCodecs.getMetricsResponse) {
                request, context in
                evaluate(request.ref, context) { [NamedMetric(name: request.metricName, value: $0.metricValue)] }
            },
            .unary("GetMetricSpec", request: interner.scaledObjectRefCodec, response: ExternalScalerCodecs.getMetricSpecResponse) {
                ref, context in
                do throws(RPCError) {
                    let admitted = try admit(ref, context)
                    return .response([admitted.metricSpec(pinned: admitted.pinned)])
                } catch {
                    return .failure(error)
                }
            },
            .serverStreaming("StreamIsActive", request: interner.scaledObjectRefCodec, response: ExternalScalerCodecs.isActiveResponse) {
                ref, context, writer in try await streamIsActive(ref, context, writer)
            },
            .serverStreaming(
                "StreamMetricSpec", request: interner.scaledObjectRefCodec, response: ExternalScalerCodecs.getMetricSpecResponse
            ) { ref, context, writer in try await streamMetricSpec(ref, context, writer) },
        ]
        return methods.map { $0.limitingRequests(to: RPCMethod.smallRequestLength) }
    }

    // MARK: Unary calls

    /// Answers from a fresh observation on the event loop when there is one (the
    /// second call of a KEDA round), else has the registry read Kafka in a task.
    /// Admission and the cache lookup share one registry call.
    private func evaluate<Response: Sendable>(
        _ ref: ScaledObjectRefInterner.Interned, _ context: ServerContext, _ answer: @escaping @Sendable (Evaluation) -> Response
    ) -> UnaryOutcome<Response> {
        let resolved: ResolvedTrigger
        do throws(RPCError) {
            resolved = try resolve(ref, context)
        } catch {
            return .failure(error)
        }
        let admitted: AdmittedTrigger
        do throws(KafkaLagError) {
            switch try registry.admit(resolved.admission, cachedFor: resolved.trigger.scaling) {
            case .evaluated(let evaluation):
                return .response(answer(evaluation))
            case .uncached(let pinned):
                admitted = AdmittedTrigger(resolved: resolved, pinned: pinned)
            }
        } catch {
            return .failure(RPCError(error, deadline: context.deadline))
        }
        return .async {
            do throws(KafkaLagError) {
                return answer(
                    try await registry.evaluate(
                        admitted.key, admitted: admitted.pinned, scaling: admitted.trigger.scaling, deadline: context.deadline))
            } catch {
                context.logger.with(admitted).warning("lag evaluation failed", metadata: ["error": "\(error)"])
                throw RPCError(error, deadline: context.deadline)
            }
        }
    }

    // MARK: Streams

    /// Sends the current activity at once, then every change, checking every
    /// `pushInterval`. Checks are aligned to multiples of the interval, so streams on
    /// one source share each observation. Each check reads offsets younger than half
    /// the interval: the previous check's observation, a little younger than one
    /// interval, is never reused, even when the lag cache TTL is longer than the
    /// interval. Failures push nothing and are retried at the next check; the stream
    /// stays open until KEDA or shutdown ends it.
    private func streamIsActive(
        _ ref: ScaledObjectRefInterner.Interned, _ context: ServerContext, _ writer: ServerStreamWriter<Bool>
    ) async throws {
        let admitted = try admit(ref, context)
        let meter = streamsOpen["StreamIsActive"]
        meter?.increment()
        defer { meter?.decrement() }
        var lastSent: Bool?
        while !Task.isCancelled {
            do throws(KafkaLagError) {
                let active = try await registry.evaluate(
                    admitted.key, admitted: admitted.pinned, scaling: admitted.trigger.scaling, deadline: nil,
                    maxAge: admitted.trigger.pushInterval / 2
                ).isActive
                if active != lastSent {
                    writer.send(active)
                    lastSent = active
                }
            } catch {
                context.logger.with(admitted).warning("stream lag check failed; retrying at the next interval", metadata: ["error": "\(error)"])
            }
            try await PushSchedule.sleepUntilNextCheck(every: admitted.trigger.pushInterval)
        }
    }

    /// Sends the current metric spec at once, then again whenever the pinned source
    /// changes the metric name (a swap to another topic), checking every `pushInterval`.
    private func streamMetricSpec(
        _ ref: ScaledObjectRefInterner.Interned, _ context: ServerContext, _ writer: ServerStreamWriter<[NamedMetric]>
    ) async throws {
        let admitted = try admit(ref, context)
        let meter = streamsOpen["StreamMetricSpec"]
        meter?.increment()
        defer { meter?.decrement() }
        var lastSent: NamedMetric?
        while !Task.isCancelled {
            let spec = admitted.metricSpec(pinned: registry.pinned(admitted.key) ?? admitted.pinned)
            if spec != lastSent {
                writer.send([spec])
                lastSent = spec
            }
            try await PushSchedule.sleepUntilNextCheck(every: admitted.trigger.pushInterval)
        }
    }

    // MARK: Admission

    /// Parses the metadata (invalid → INVALID_ARGUMENT with KEDA's message, and the
    /// registry is never touched) and admits the trigger.
    private func admit(_ ref: ScaledObjectRefInterner.Interned, _ context: ServerContext) throws(RPCError) -> AdmittedTrigger {
        let resolved = try resolve(ref, context)
        do throws(KafkaLagError) {
            return AdmittedTrigger(resolved: resolved, pinned: try registry.admit(resolved.admission))
        } catch {
            throw RPCError(error, deadline: context.deadline)
        }
    }

    /// The request's trigger, remembered with its interned ref until the resolver's
    /// generation moves on; invalid metadata → INVALID_ARGUMENT with KEDA's message
    /// (and nothing is remembered).
    private func resolve(_ interned: ScaledObjectRefInterner.Interned, _ context: ServerContext) throws(RPCError) -> ResolvedTrigger {
        let generation = resolver.generation
        if case .resolved(let resolved) = interned.content, resolved.generation == generation { return resolved }
        let ref = interned.ref
        do throws(KafkaLagError) {
            let resolved = ResolvedTrigger(
                generation: generation, trigger: try resolver.trigger(for: ref.scalerMetadata, namespace: ref.namespace), ref: ref)
            interner.remember(resolved, for: interned)
            return resolved
        } catch {
            let metadata: Logger.Metadata = ["namespace": "\(ref.namespace)", "scaledobject": "\(ref.name)", "error": "\(error.message)"]
            if error.code == .permissionDenied {
                context.logger.warning("auth profile scope refused a request", metadata: metadata)
            } else if error.code == .failedPrecondition {
                context.logger.warning("auth profile unusable", metadata: metadata)
            } else {
                context.logger.debug("invalid trigger metadata", metadata: metadata)
            }
            throw RPCError(error, deadline: context.deadline)
        }
    }
}

/// A request's trigger after admission: its resolution (registry key, and parsed
/// metadata whose scaling parameters apply from the request) and the pin it is served from.
struct AdmittedTrigger: Sendable {
    var resolved: ResolvedTrigger
    var pinned: PinnedSource

    var key: RegistryKey { resolved.admission.key }
    var trigger: KafkaTrigger { resolved.trigger }

    /// The metric KEDA puts in the HPA: named after the pinned source, targeting the
    /// request's `lagThreshold`.
    func metricSpec(pinned: PinnedSource) -> NamedMetric {
        NamedMetric(
            name: MetricName.forTrigger(topic: pinned.source.topic, consumerGroup: pinned.source.consumerGroup),
            value: trigger.scaling.lagThreshold)
    }
}

extension Logger {
    /// This logger with the trigger's identity as metadata.
    func with(_ admitted: AdmittedTrigger) -> Logger {
        var logger = self
        logger[metadataKey: "namespace"] = "\(admitted.key.namespace)"
        logger[metadataKey: "scaledobject"] = "\(admitted.key.name)"
        logger[metadataKey: "trigger"] = "\(admitted.key.triggerName)"
        return logger
    }
}
