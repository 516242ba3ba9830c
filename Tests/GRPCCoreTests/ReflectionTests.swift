import CKedaProto
import Testing

@testable import GRPCCore

@Suite("Server reflection")
struct ReflectionTests {
    private let index: ReflectionIndex
    private let listed = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]

    init() throws {
        index = try ReflectionIndex.embedded()
    }

    @Test("Every proto/ file is indexed under its canonical name")
    func fileNames() {
        #expect(
            index.fileNames == [
                "externalscaler.proto", "grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto",
                "grpc/reflection/v1alpha/reflection.proto",
            ]
        )
    }

    @Test(
        "Symbols of every kind resolve to their defining file",
        arguments: [
            ("grpc.health.v1.Health", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckRequest", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
            ("externalscaler.ExternalScaler.GetMetrics", "externalscaler.proto"),
            ("externalscaler.ScaledObjectRef", "externalscaler.proto"),
            ("externalscaler.ScaledObjectRef.ScalerMetadataEntry", "externalscaler.proto"),
            ("grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1alpha/reflection.proto"),
            ("grpc.reflection.v1.ExtensionRequest", "grpc/reflection/v1/reflection.proto"),
            ("grpc.health.v1.HealthCheckRequest.service", "grpc/health/v1/health.proto"),
            ("grpc.health.v1.HealthCheckResponse.SERVICE_UNKNOWN", "grpc/health/v1/health.proto"),
            ("externalscaler.MetricValue.metricValueFloat", "externalscaler.proto"),
        ]
    )
    func symbols(symbol: String, file: String) throws {
        #expect(index.fileName(containingSymbol: symbol) == file)
        let descriptors = try #require(index.fileDescriptors(containingSymbol: symbol))
        #expect(descriptors.first == index.fileDescriptors(forFile: file)?.first)
    }

    @Test("Served descriptors are the embedded set's bytes")
    func verbatim() {
        let set = Array(UnsafeRawBufferPointer(start: kks_descriptor_set_bytes(), count: kks_descriptor_set_size))
        for name in index.fileNames {
            let bytes = index.fileDescriptors(forFile: name)![0]
            #expect(set.firstRange(of: bytes) != nil, "\(name)")
        }
    }

    @Test("Unknown symbols and files are error_response NOT_FOUND")
    func notFound() {
        for query in [
            ReflectionRequest.Query.fileContainingSymbol("no.Such"), .fileByFilename("nope.proto"),
            .allExtensionNumbersOfType("no.Such"), .fileContainingExtension(containingType: "grpc.health.v1.HealthCheckRequest", extensionNumber: 5),
        ] {
            let response = ServerReflectionService.answer(ReflectionRequest(query: query), index: index, listedServices: listed)
            guard case .error(let code, let message) = response.answer else { Issue.record("answered \(query)"); continue }
            #expect(code == 5)
            #expect(!message.isEmpty)
        }
    }

    @Test("list_services, extension numbers, and echo of host and original request")
    func answers() {
        let request = ReflectionRequest(host: "example:6000", query: .listServices("*"))
        let listing = ServerReflectionService.answer(request, index: index, listedServices: listed)
        #expect(listing == ReflectionResponse(validHost: "example:6000", originalRequest: request, answer: .services(listed)))
        let numbers = ServerReflectionService.answer(
            ReflectionRequest(query: .allExtensionNumbersOfType("grpc.health.v1.HealthCheckRequest")),
            index: index,
            listedServices: listed
        )
        #expect(numbers.answer == .extensionNumbers(baseTypeName: "grpc.health.v1.HealthCheckRequest", numbers: []))
    }

    @Test("file_by_filename sends the file first, then no dependencies for these protos")
    func byFilename() throws {
        let descriptors = try #require(index.fileDescriptors(forFile: "grpc/reflection/v1/reflection.proto"))
        #expect(descriptors.count == 1)
    }

    @Test(
        "Reflection messages round-trip through protobuf-c",
        arguments: [
            ReflectionResponse.Answer.fileDescriptors([[1, 2, 3], []]), .extensionNumbers(baseTypeName: "a.B", numbers: [1, 7]),
            .services(["a.B", "c.D"]), .error(code: 5, message: "symbol 'x' not found"),
        ]
    )
    func roundTrip(answer: ReflectionResponse.Answer) throws {
        let request = ReflectionRequest(host: "h", query: .fileContainingExtension(containingType: "a.B", extensionNumber: 3))
        let response = ReflectionResponse(validHost: "h", originalRequest: request, answer: answer)
        let bytes = ReflectionCodec.response.encode(response)
        let decoded = try decode(ReflectionCodec.response, bytes)
        #expect(decoded == response)
        let requestBytes = ReflectionCodec.request.encode(request)
        let decodedRequest = try decode(ReflectionCodec.request, requestBytes)
        #expect(decodedRequest == request)
    }

    @Test("A malformed descriptor set is refused")
    func malformedSet() {
        let result = [UInt8]([0x0A, 0x05, 0x01]).withUnsafeBytes { bytes in
            Result { () throws(RPCError) in try ReflectionIndex(serializedFileDescriptorSet: bytes) }
        }
        guard case .failure(let error) = result else { Issue.record("accepted"); return }
        #expect(error.code == .internal)
    }
}
