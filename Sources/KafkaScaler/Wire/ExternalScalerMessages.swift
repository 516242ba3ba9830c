import CKedaProto
public import GRPCCore

/// KEDA's `ScaledObjectRef`: which ScaledObject asks, and its trigger metadata.
public struct ScaledObjectRef: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var scalerMetadata: [String: String]

    public init(name: String, namespace: String, scalerMetadata: [String: String]) {
        self.name = name
        self.namespace = namespace
        self.scalerMetadata = scalerMetadata
    }
}

/// KEDA's `GetMetricsRequest`: the ref and the metric name `GetMetricSpec` returned.
public struct GetMetricsRequest: Sendable, Hashable {
    public var scaledObjectRef: ScaledObjectRef
    public var metricName: String

    public init(scaledObjectRef: ScaledObjectRef, metricName: String) {
        self.scaledObjectRef = scaledObjectRef
        self.metricName = metricName
    }
}

/// One `MetricSpec` or `MetricValue`: a name and a number, sent in both the int64
/// field (KEDA < 2.17) and the double field.
public struct NamedMetric: Sendable, Hashable {
    public var name: String
    public var value: Int64

    public init(name: String, value: Int64) {
        self.name = name
        self.value = value
    }
}

/// protobuf-c codecs for `externalscaler.proto`. Both directions exist: the server
/// decodes requests and encodes responses, the `probe` command does the reverse.
public enum ExternalScalerCodecs {
    public static let scaledObjectRef = MessageCodec<ScaledObjectRef>.protobufC(
        "externalscaler.ScaledObjectRef",
        unpack: externalscaler__scaled_object_ref__unpack, free: externalscaler__scaled_object_ref__free_unpacked,
        read: { ScaledObjectRef($0.pointee) },
        encode: { ref in
            var arena = CMemoryArena()
            var message = Externalscaler__ScaledObjectRef(ref, arena: &arena)
            return ProtobufC.pack(&message)
        }
    )

    public static let getMetricsRequest = MessageCodec<GetMetricsRequest>.protobufC(
        "externalscaler.GetMetricsRequest",
        unpack: externalscaler__get_metrics_request__unpack, free: externalscaler__get_metrics_request__free_unpacked,
        read: { request in
            GetMetricsRequest(
                scaledObjectRef: request.pointee.scaledobjectref.map { ScaledObjectRef($0.pointee) }
                    ?? ScaledObjectRef(name: "", namespace: "", scalerMetadata: [:]),
                metricName: ProtobufC.string(request.pointee.metricname)
            )
        },
        encode: { request in
            var arena = CMemoryArena()
            let ref = arena.allocate(Externalscaler__ScaledObjectRef.self, count: 1)
            ref.pointee = Externalscaler__ScaledObjectRef(request.scaledObjectRef, arena: &arena)
            var message = Externalscaler__GetMetricsRequest()
            externalscaler__get_metrics_request__init(&message)
            message.scaledobjectref = ref
            message.metricname = arena.string(request.metricName)
            return ProtobufC.pack(&message)
        }
    )

    /// `IsActiveResponse`; both answers are packed once.
    public static let isActiveResponse = MessageCodec<Bool>.protobufC(
        "externalscaler.IsActiveResponse",
        unpack: externalscaler__is_active_response__unpack, free: externalscaler__is_active_response__free_unpacked,
        read: { $0.pointee.result != 0 },
        encode: { active in active ? packedActive : packedInactive }
    )

    private static let packedActive = packIsActive(true)
    private static let packedInactive = packIsActive(false)

    private static func packIsActive(_ active: Bool) -> [UInt8] {
        var message = Externalscaler__IsActiveResponse()
        externalscaler__is_active_response__init(&message)
        message.result = active ? 1 : 0
        return ProtobufC.pack(&message)
    }

    /// `GetMetricSpecResponse`: each spec's `targetSize` and `targetSizeFloat`.
    public static let getMetricSpecResponse = MessageCodec<[NamedMetric]>.protobufC(
        "externalscaler.GetMetricSpecResponse",
        unpack: externalscaler__get_metric_spec_response__unpack, free: externalscaler__get_metric_spec_response__free_unpacked,
        read: { response in
            metrics(response.pointee.metricspecs, count: response.pointee.n_metricspecs) {
                NamedMetric(name: ProtobufC.string($0.metricname), value: $0.targetsize)
            }
        },
        encode: { specs in
            var response = Externalscaler__GetMetricSpecResponse()
            externalscaler__get_metric_spec_response__init(&response)
            return pack(specs, in: &response, count: \.n_metricspecs, list: \.metricspecs) { spec, message, name in
                externalscaler__metric_spec__init(message)
                message.pointee.metricname = name
                message.pointee.targetsize = spec.value
                message.pointee.targetsizefloat = Double(spec.value)
            }
        }
    )

    /// `GetMetricsResponse`: each value's `metricValue` and `metricValueFloat`.
    public static let getMetricsResponse = MessageCodec<[NamedMetric]>.protobufC(
        "externalscaler.GetMetricsResponse",
        unpack: externalscaler__get_metrics_response__unpack, free: externalscaler__get_metrics_response__free_unpacked,
        read: { response in
            metrics(response.pointee.metricvalues, count: response.pointee.n_metricvalues) {
                NamedMetric(name: ProtobufC.string($0.metricname), value: $0.metricvalue)
            }
        },
        encode: { values in
            var response = Externalscaler__GetMetricsResponse()
            externalscaler__get_metrics_response__init(&response)
            return pack(values, in: &response, count: \.n_metricvalues, list: \.metricvalues) { value, message, name in
                externalscaler__metric_value__init(message)
                message.pointee.metricname = name
                message.pointee.metricvalue = value.value
                message.pointee.metricvaluefloat = Double(value.value)
            }
        }
    )

    /// Reads a repeated sub-message field.
    private static func metrics<Item>(
        _ list: UnsafeMutablePointer<UnsafeMutablePointer<Item>?>?, count: Int, _ read: (Item) -> NamedMetric
    ) -> [NamedMetric] {
        guard let list else { return [] }
        return (0..<count).compactMap { list[$0].map { read($0.pointee) } }
    }

    /// Packs `response` with its repeated sub-message field set to one message per metric,
    /// which `fill` initializes with the metric's NUL-terminated name. Responses are packed
    /// on every call and dropped, so the messages, the list and the names live on the stack.
    private static func pack<Response, Item>(
        _ metrics: [NamedMetric], in response: inout Response,
        count: WritableKeyPath<Response, Int>, list field: WritableKeyPath<Response, UnsafeMutablePointer<UnsafeMutablePointer<Item>?>?>,
        fill: (NamedMetric, UnsafeMutablePointer<Item>, UnsafeMutablePointer<CChar>) -> Void
    ) -> [UInt8] {
        let nameBytes = metrics.reduce(0) { $0 + $1.name.utf8.count + 1 }
        return withUnsafeTemporaryAllocation(of: Item.self, capacity: metrics.count) { messages in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Item>?.self, capacity: metrics.count) { list in
                withUnsafeTemporaryAllocation(of: CChar.self, capacity: nameBytes) { names in
                    var offset = 0
                    for (index, metric) in metrics.enumerated() {
                        let name = names.baseAddress! + offset
                        for byte in metric.name.utf8 {
                            names[offset] = CChar(bitPattern: byte)
                            offset += 1
                        }
                        names[offset] = 0
                        offset += 1
                        fill(metric, messages.baseAddress! + index, name)
                        list[index] = messages.baseAddress! + index
                    }
                    response[keyPath: count] = metrics.count
                    response[keyPath: field] = metrics.isEmpty ? nil : list.baseAddress
                    return ProtobufC.pack(&response)
                }
            }
        }
    }
}

extension ScaledObjectRef {
    init(_ message: Externalscaler__ScaledObjectRef) {
        var metadata = [String: String](minimumCapacity: message.n_scalermetadata)
        for index in 0..<message.n_scalermetadata {
            guard let entry = message.scalermetadata[index] else { continue }
            metadata[ProtobufC.string(entry.pointee.key)] = ProtobufC.string(entry.pointee.value)
        }
        self.init(name: ProtobufC.string(message.name), namespace: ProtobufC.string(message.namespace_), scalerMetadata: metadata)
    }
}

extension Externalscaler__ScaledObjectRef {
    /// A message over `arena`'s memory; valid while the arena lives.
    init(_ ref: ScaledObjectRef, arena: inout CMemoryArena) {
        self.init()
        externalscaler__scaled_object_ref__init(&self)
        name = arena.string(ref.name)
        namespace_ = arena.string(ref.namespace)
        let entries = arena.allocate(
            UnsafeMutablePointer<Externalscaler__ScaledObjectRef__ScalerMetadataEntry>?.self, count: ref.scalerMetadata.count)
        for (index, (key, value)) in ref.scalerMetadata.sorted(by: { $0.key < $1.key }).enumerated() {
            let entry = arena.allocate(Externalscaler__ScaledObjectRef__ScalerMetadataEntry.self, count: 1)
            externalscaler__scaled_object_ref__scaler_metadata_entry__init(entry)
            entry.pointee.key = arena.string(key)
            entry.pointee.value = arena.string(value)
            entries[index] = entry
        }
        n_scalermetadata = ref.scalerMetadata.count
        scalermetadata = entries
    }
}
