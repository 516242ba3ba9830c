import CKedaProto
import GRPCCore

/// KEDA's `GetMetricsRequest` with its ref decoded through an interner.
struct InternedGetMetricsRequest: Sendable {
    var ref: ScaledObjectRefInterner.Interned
    var metricName: String
}

extension ScaledObjectRefInterner {
    /// The server side of ``ExternalScalerCodecs/scaledObjectRef``: decodes through this interner.
    var scaledObjectRefCodec: MessageCodec<Interned> {
        .protobufC(
            "externalscaler.ScaledObjectRef",
            unpack: externalscaler__scaled_object_ref__unpack, free: externalscaler__scaled_object_ref__free_unpacked,
            read: { message throws(RPCError) in try self.intern(message) },
            encode: { ExternalScalerCodecs.scaledObjectRef.encode($0.ref) }
        )
    }

    /// The server side of ``ExternalScalerCodecs/getMetricsRequest``: decodes the ref through this interner.
    var getMetricsRequestCodec: MessageCodec<InternedGetMetricsRequest> {
        .protobufC(
            "externalscaler.GetMetricsRequest",
            unpack: externalscaler__get_metrics_request__unpack, free: externalscaler__get_metrics_request__free_unpacked,
            read: { request throws(RPCError) in
                let ref = try request.pointee.scaledobjectref.map { ref throws(RPCError) in try self.intern(UnsafePointer(ref)) }
                return InternedGetMetricsRequest(
                    ref: ref ?? Interned(uninterned: ScaledObjectRef(name: "", namespace: "", scalerMetadata: [:])),
                    metricName: ProtobufC.string(request.pointee.metricname)
                )
            },
            encode: { request in
                ExternalScalerCodecs.getMetricsRequest.encode(GetMetricsRequest(scaledObjectRef: request.ref.ref, metricName: request.metricName))
            }
        )
    }
}
