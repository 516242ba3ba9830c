import GRPCCore
import Testing
@testable import KafkaScaler

@Suite("ExternalScaler protobuf-c codecs")
struct ExternalScalerCodecTests {
    func roundTrip<M>(_ codec: MessageCodec<M>, _ value: M) throws -> M {
        let bytes = codec.encode(value)
        return try bytes.withUnsafeBytes { buffer in try codec.decode(buffer) }
    }

    @Test("ScaledObjectRef and GetMetricsRequest round-trip, metadata map included")
    func requests() throws {
        let ref = ScaledObjectRef(name: "orders", namespace: "shop", scalerMetadata: ["topic": "orders", "lagThreshold": "5", "ü": "%\n"])
        #expect(try roundTrip(ExternalScalerCodecs.scaledObjectRef, ref) == ref)
        let request = GetMetricsRequest(scaledObjectRef: ref, metricName: "kafka-orders")
        #expect(try roundTrip(ExternalScalerCodecs.getMetricsRequest, request) == request)
    }

    @Test("responses fill both the int64 and the double field", arguments: [Int64(0), 1, 10, 123_456_789])
    func responses(value: Int64) throws {
        let metric = [NamedMetric(name: "kafka-orders", value: value)]
        #expect(try roundTrip(ExternalScalerCodecs.getMetricsResponse, metric) == metric)
        #expect(try roundTrip(ExternalScalerCodecs.getMetricSpecResponse, metric) == metric)
        // Field 3 (double) is present whenever the value is non-zero: tag 0x19 = field 3, wire type 1.
        let bytes = ExternalScalerCodecs.getMetricsResponse.encode(metric)
        #expect(bytes.contains(0x19) == (value != 0))
    }

    @Test("metric lists of any length and any names round-trip", arguments: [0, 1, 3, 200])
    func metricLists(count: Int) throws {
        let metrics = (0..<count).map { NamedMetric(name: "kafka-\($0)-" + String(repeating: "ü", count: $0 % 40), value: Int64($0) * 7) }
        #expect(try roundTrip(ExternalScalerCodecs.getMetricsResponse, metrics) == metrics)
        #expect(try roundTrip(ExternalScalerCodecs.getMetricSpecResponse, metrics) == metrics)
    }

    @Test("IsActiveResponse is 08 01 or empty")
    func isActive() throws {
        #expect(ExternalScalerCodecs.isActiveResponse.encode(true) == [0x08, 0x01])
        #expect(ExternalScalerCodecs.isActiveResponse.encode(false) == [])
        #expect(try roundTrip(ExternalScalerCodecs.isActiveResponse, true))
    }

    @Test("malformed bytes are INTERNAL")
    func malformed() {
        let garbage: [UInt8] = [0x0a, 0xff, 0xff, 0xff]
        #expect(throws: RPCError.self) {
            try garbage.withUnsafeBytes { buffer in _ = try ExternalScalerCodecs.scaledObjectRef.decode(buffer) }
        }
    }
}

@Suite("Request unpacking: stack scratch memory, malloc past it")
struct UnpackScratchTests {
    @Test("requests of any size decode intact", arguments: [0, 1, 12, 100, 2_000])
    func anySize(entries: Int) throws {
        let metadata = Dictionary(uniqueKeysWithValues: (0..<entries).map { ("key-\($0)", String(repeating: "v", count: $0 % 300)) })
        let request = GetMetricsRequest(
            scaledObjectRef: ScaledObjectRef(name: "orders", namespace: "shop", scalerMetadata: metadata),
            metricName: "kafka-orders")
        let bytes = ExternalScalerCodecs.getMetricsRequest.encode(request)
        for _ in 0..<3 {
            #expect(try bytes.withUnsafeBytes { try ExternalScalerCodecs.getMetricsRequest.decode($0) } == request)
        }
    }

    @Test("a message cut short is INTERNAL, and the next one decodes")
    func truncated() throws {
        let request = GetMetricsRequest(scaledObjectRef: ScaledObjectRef(name: "o", namespace: "s", scalerMetadata: ["k": "v"]), metricName: "m")
        let bytes = ExternalScalerCodecs.getMetricsRequest.encode(request)
        #expect(throws: RPCError.self) {
            try bytes.dropLast(2).withUnsafeBytes { _ = try ExternalScalerCodecs.getMetricsRequest.decode($0) }
        }
        #expect(try bytes.withUnsafeBytes { try ExternalScalerCodecs.getMetricsRequest.decode($0) } == request)
    }
}
