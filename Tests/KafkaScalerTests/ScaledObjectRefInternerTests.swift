import CKedaProto
import GRPCCore
import KafkaLag
import Testing
@testable import KafkaScaler

/// `ScaledObjectRef` bytes with the metadata entries in the order given, as Go's
/// encoder sends them (it randomizes map order). Protobuf: name = 1, namespace = 2,
/// scalerMetadata = 3 (map entries: key = 1, value = 2), all length-delimited.
private func refBytes(name: String = "orders", namespace: String = "shop", _ entries: [(String, String)]) -> [UInt8] {
    func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [number << 3 | 2]
        var length = bytes.count
        while length >= 0x80 {
            out.append(UInt8(length & 0x7f) | 0x80)
            length >>= 7
        }
        return out + [UInt8(length)] + bytes
    }
    var bytes = field(1, Array(name.utf8)) + field(2, Array(namespace.utf8))
    for (key, value) in entries {
        bytes += field(3, field(1, Array(key.utf8)) + field(2, Array(value.utf8)))
    }
    return bytes
}

private let metadata = [("bootstrapServers", "a:9092,b:9092"), ("consumerGroup", "orders"), ("topic", "orders"), ("lagThreshold", "5")]

@Suite("ScaledObjectRef interner: repeated requests skip decoding and resolution")
struct ScaledObjectRefInternerTests {
    let interner = ScaledObjectRefInterner(limits: .defaults)

    func intern(_ bytes: [UInt8]) throws -> ScaledObjectRefInterner.Interned {
        try bytes.withUnsafeBytes { try interner.scaledObjectRefCodec.decode($0) }
    }

    func plainDecode(_ bytes: [UInt8]) throws -> ScaledObjectRef {
        try bytes.withUnsafeBytes { try ExternalScalerCodecs.scaledObjectRef.decode($0) }
    }

    /// Interns `bytes` and remembers a resolution for it, as the service does.
    @discardableResult
    func resolve(_ bytes: [UInt8]) throws -> ResolvedTrigger {
        let interned = try intern(bytes)
        let ref = interned.ref
        let resolved = ResolvedTrigger(generation: 0, trigger: try KafkaTrigger(metadata: ref.scalerMetadata, profile: [:]), ref: ref)
        interner.remember(resolved, for: interned)
        return resolved
    }

    @Test("a repeat in any entry order gets the remembered resolution", arguments: [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]])
    func repeatInAnyOrder(order: [Int]) throws {
        let resolved = try resolve(refBytes(metadata))
        let repeated = try intern(refBytes(order.map { metadata[$0] }))
        guard case .resolved(let found) = repeated.content else {
            Issue.record("the repeat was not matched")
            return
        }
        #expect(found === resolved)
        #expect(repeated.ref == (try plainDecode(refBytes(order.map { metadata[$0] }))))
    }

    @Test("the decoded ref is what the plain codec decodes, before and after interning")
    func sameRefAsPlainDecoding() throws {
        let bytes = refBytes(metadata + [("ü", "%\n"), ("empty", "")])
        #expect(try intern(bytes).ref == (try plainDecode(bytes)))
        try resolve(bytes)
        #expect(try intern(bytes).ref == (try plainDecode(bytes)))
    }

    @Test(
        "any other byte is another request",
        arguments: [
            refBytes(name: "payments", metadata),
            refBytes(namespace: "other", metadata),
            refBytes(metadata.dropLast() + [("lagThreshold", "6")]),
            refBytes(Array(metadata.dropLast())),
            refBytes(metadata + [("activationLagThreshold", "1")]),
            refBytes(metadata.dropLast() + [("lagThreshol", "d5")]),
        ])
    func differentRequests(bytes: [UInt8]) throws {
        try resolve(refBytes(metadata))
        let other = try intern(bytes)
        guard case .ref(let ref) = other.content else {
            Issue.record("a different request was matched")
            return
        }
        #expect(ref == (try plainDecode(bytes)))
    }

    @Test("a request that repeats a key is decoded as protobuf says (last wins) and never interned")
    func repeatedKey() throws {
        let bytes = refBytes(metadata + [("topic", "payments")])
        let interned = try intern(bytes)
        #expect(interned.ref.scalerMetadata["topic"] == "payments")
        #expect(interned.ref == (try plainDecode(bytes)))
        try resolve(bytes)
        #expect(interner.count == 0)
        let swapped = refBytes([("topic", "payments")] + metadata)
        #expect(try intern(swapped).ref.scalerMetadata["topic"] == "orders", "the other order decodes the other value")
    }

    @Test("keys that differ in bytes but not as Swift strings merge like repeated keys: never interned")
    func equivalentKeys() throws {
        let composed = refBytes(metadata + [("caf\u{E9}", "1"), ("cafe\u{301}", "2")])
        let interned = try intern(composed)
        #expect(interned.ref == (try plainDecode(composed)))
        #expect(interned.ref.scalerMetadata.count == metadata.count + 1)
        try resolve(composed)
        #expect(interner.count == 0)
    }

    @Test("only resolutions are kept: decoding alone stores nothing")
    func invalidRequestsStoreNothing() throws {
        for index in 0..<100 { _ = try intern(refBytes(name: "so-\(index)", [("consumerGroup", "g")])) }
        #expect(interner.count == 0)
    }

    @Test("past the record or byte limit the table starts over")
    func limits() throws {
        let small = ScaledObjectRefInterner(limits: .init(records: 3, bytes: 1 << 20, requestBytes: 1 << 10))
        func resolveIn(_ interner: ScaledObjectRefInterner, _ bytes: [UInt8]) throws {
            let interned = try bytes.withUnsafeBytes { try interner.scaledObjectRefCodec.decode($0) }
            let trigger = try KafkaTrigger(metadata: interned.ref.scalerMetadata, profile: [:])
            interner.remember(ResolvedTrigger(generation: 0, trigger: trigger, ref: interned.ref), for: interned)
        }
        for index in 0..<3 { try resolveIn(small, refBytes(name: "so-\(index)", metadata)) }
        #expect(small.count == 3)
        try resolveIn(small, refBytes(name: "so-3", metadata))
        #expect(small.count == 1)
        try resolveIn(small, refBytes(name: "so-3", metadata))
        #expect(small.count == 1, "remembering again replaces")

        try resolveIn(small, refBytes(metadata + [("padding", String(repeating: "x", count: 2_000))]))
        #expect(small.count == 1, "a request over requestBytes is not interned")

        // Canonical form: a 4-byte length before each of namespace, name, and every key and value.
        let canonicalSize = 8 + "shop".utf8.count + "so-0".utf8.count + metadata.reduce(0) { $0 + 8 + $1.0.utf8.count + $1.1.utf8.count }
        let twoRecords = ScaledObjectRefInterner(
            limits: .init(
                records: 100, bytes: 2 * ScaledObjectRefInterner.recordCost(canonicalSize), requestBytes: 1 << 10))
        for index in 0..<2 { try resolveIn(twoRecords, refBytes(name: "so-\(index)", metadata)) }
        #expect(twoRecords.count == 2)
        try resolveIn(twoRecords, refBytes(name: "so-2", metadata))
        #expect(twoRecords.count == 1, "past the estimated memory the table starts over")
    }
}

@Suite("ScaledObjectRef limits: hostile maps are refused while decoding")
struct ScaledObjectRefLimitTests {
    let interner = ScaledObjectRefInterner(limits: .defaults)

    /// The decode's error, or nil when it decoded.
    func refusal(_ bytes: [UInt8]) -> RPCError? {
        bytes.withUnsafeBytes { bytes in
            do throws(RPCError) {
                _ = try interner.scaledObjectRefCodec.decode(bytes)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test(
        "more than 256 entries, a key over 256 bytes or a value over 32 KiB is INVALID_ARGUMENT",
        arguments: [
            (refBytes((0..<257).map { ("k\($0)", "") }), "scalerMetadata has 257 entries; at most 256 are accepted"),
            (refBytes([(String(repeating: "k", count: 257), "v")]), "a scalerMetadata key is 257 bytes; keys are at most 256 bytes"),
            (
                refBytes([("ca", String(repeating: "v", count: 32 * 1024 + 1))]),
                "a scalerMetadata value is 32769 bytes; values are at most 32768 bytes"
            ),
            (refBytes([(String(repeating: "k", count: 256), String(repeating: "v", count: 32 * 1024))] + (0..<255).map { ("k\($0)", "") }), nil),
        ])
    func limits(bytes: [UInt8], message: String?) {
        #expect(refusal(bytes) == message.map { RPCError(code: .invalidArgument, message: $0) })
        #expect(interner.count == 0)
    }

    @Test("the same limits hold inside GetMetricsRequest")
    func insideGetMetrics() {
        let ref = refBytes((0..<300).map { ("k\($0)", "") })
        var request: [UInt8] = [1 << 3 | 2]
        var length = ref.count
        while length >= 0x80 { request.append(UInt8(length & 0x7f) | 0x80); length >>= 7 }
        request += [UInt8(length)] + ref
        let error = #expect(throws: RPCError.self) {
            try request.withUnsafeBytes { try interner.getMetricsRequestCodec.decode($0) }
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test("a message that needs more heap than the unpack budget is RESOURCE_EXHAUSTED, and the next one decodes")
    func unpackBudget() throws {
        let many = refBytes((0..<1000).map { ("k\($0)", "v") })
        let error = #expect(throws: RPCError.self) {
            try many.withUnsafeBytes { bytes in
                try ProtobufC.withUnpacked(
                    bytes, messageName: "externalscaler.ScaledObjectRef", memoryBudget: 4096,
                    unpack: externalscaler__scaled_object_ref__unpack, free: externalscaler__scaled_object_ref__free_unpacked
                ) { _ in }
            }
        }
        #expect(error == RPCError(code: .resourceExhausted, message: "externalscaler.ScaledObjectRef needs more than 4096 bytes to decode"))
        let count = try many.withUnsafeBytes { bytes in
            try ProtobufC.withUnpacked(
                bytes, messageName: "externalscaler.ScaledObjectRef",
                unpack: externalscaler__scaled_object_ref__unpack, free: externalscaler__scaled_object_ref__free_unpacked
            ) { $0.pointee.n_scalermetadata }
        }
        #expect(count == 1000)
    }
}
