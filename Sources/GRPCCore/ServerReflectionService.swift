/// `grpc.reflection.v1.ServerReflection` and its `v1alpha` twin: enough for `grpcurl list`,
/// `describe` and invocation, and for grpcio's ProtoReflectionDescriptorDatabase.
public struct ServerReflectionService: RPCService {
    /// The full names of both reflection services (listed, and resolvable in the index).
    public static let serviceNames = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]

    public let serviceName: String
    private let index: ReflectionIndex
    private let listedServices: [String]

    /// Both versions over one index, listing `listedServices`.
    public static func allVersions(index: ReflectionIndex, listedServices: [String]) -> [ServerReflectionService] {
        serviceNames.map { ServerReflectionService(serviceName: $0, index: index, listedServices: listedServices) }
    }

    private init(serviceName: String, index: ReflectionIndex, listedServices: [String]) {
        self.serviceName = serviceName
        self.index = index
        self.listedServices = listedServices
    }

    public var methods: [RPCMethod] {
        let index = self.index
        let listed = self.listedServices
        return [
            .bidirectional(
                "ServerReflectionInfo",
                request: ReflectionCodec.request,
                response: ReflectionCodec.response
            ) { request, _ in
                [Self.answer(request, index: index, listedServices: listed)]
            }
        ]
    }

    /// Answers one reflection request; lookups that fail become `error_response` NOT_FOUND,
    /// never an RPC error, so the stream stays usable.
    public static func answer(
        _ request: ReflectionRequest,
        index: ReflectionIndex,
        listedServices: [String]
    ) -> ReflectionResponse {
        let answer: ReflectionResponse.Answer
        switch request.query {
        case .fileByFilename(let name):
            answer =
                index.fileDescriptors(forFile: name).map { .fileDescriptors($0) }
                ?? notFound("file '\(name)' not found")
        case .fileContainingSymbol(let symbol):
            answer =
                index.fileDescriptors(containingSymbol: symbol).map { .fileDescriptors($0) }
                ?? notFound("symbol '\(symbol)' not found")
        case .fileContainingExtension(let type, let number):
            answer = notFound("extension \(number) of '\(type)' not found")
        case .allExtensionNumbersOfType(let type):
            answer =
                index.isMessageType(type)
                ? .extensionNumbers(baseTypeName: type, numbers: [])
                : notFound("message type '\(type)' not found")
        case .listServices:
            answer = .services(listedServices)
        case .none:
            answer = .error(code: Int32(StatusCode.invalidArgument.rawValue), message: "request sets no message_request")
        }
        return ReflectionResponse(validHost: request.host, originalRequest: request, answer: answer)
    }

    private static func notFound(_ message: String) -> ReflectionResponse.Answer {
        .error(code: Int32(StatusCode.notFound.rawValue), message: message)
    }
}
