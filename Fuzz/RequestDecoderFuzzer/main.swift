import FuzzSupport
import GRPCCore
@testable import KafkaScaler

/// One gRPC message body, as a hostile client sends it, into every ExternalScaler
/// request decoder: protobuf-c's unpack under the scratch budget, then the interner's
/// metadata caps. A decode may fail; it must never crash, leak or hang.
let interner = ScaledObjectRefInterner(limits: .defaults)

runFuzzer { data, size in
    let bytes = fuzzInput(data, size)
    _ = try? interner.scaledObjectRefCodec.decode(bytes)
    _ = try? interner.getMetricsRequestCodec.decode(bytes)
    _ = try? ExternalScalerCodecs.scaledObjectRef.decode(bytes)
    _ = try? ExternalScalerCodecs.getMetricsRequest.decode(bytes)
    return 0
}
