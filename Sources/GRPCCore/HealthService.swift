internal import CKedaProto

/// `grpc.health.v1.Health` (doc/health-checking.md): Check answers from the status board,
/// Watch streams the current status and then every change.
public struct HealthService: RPCService {
    /// The statuses served.
    public let statuses: HealthStatusBoard

    /// Serves the statuses of `statuses`.
    public init(statuses: HealthStatusBoard) {
        self.statuses = statuses
    }

    public var serviceName: String { "grpc.health.v1.Health" }

    public var methods: [RPCMethod] {
        let statuses = self.statuses
        let methods: [RPCMethod] = [
            .unary("Check", request: Self.requestCodec, response: Self.responseCodec) { service, _ in
                guard let status = statuses.status(of: service) else {
                    return .failure(RPCError(code: .notFound, message: ""))
                }
                return .response(status)
            },
            .serverStreaming("Watch", request: Self.requestCodec, response: Self.responseCodec) {
                service, _, writer in
                var lastSent: ServingStatus?
                for await status in statuses.watch(service) where status != lastSent {
                    writer.send(status)
                    lastSent = status
                }
            },
        ]
        return methods.map { $0.limitingRequests(to: RPCMethod.smallRequestLength) }
    }

    /// `HealthCheckRequest` ↔ its `service` field (public: the CLI's `health` command sends it).
    public static let requestCodec = MessageCodec<String>.protobufC(
        "grpc.health.v1.HealthCheckRequest",
        unpack: grpc__health__v1__health_check_request__unpack,
        free: grpc__health__v1__health_check_request__free_unpacked,
        read: { request in ProtobufC.string(request.pointee.service) },
        encode: { service in
            var request = Grpc__Health__V1__HealthCheckRequest()
            grpc__health__v1__health_check_request__init(&request)
            return service.withCString { pointer in
                request.service = UnsafeMutablePointer(mutating: pointer)
                return ProtobufC.pack(&request)
            }
        }
    )

    /// The four possible `HealthCheckResponse`s, packed once.
    private static let packedResponses: [[UInt8]] = (0...3).map { raw in
        var response = Grpc__Health__V1__HealthCheckResponse()
        grpc__health__v1__health_check_response__init(&response)
        response.status = Grpc__Health__V1__HealthCheckResponse__ServingStatus(rawValue: UInt32(raw))
        return ProtobufC.pack(&response)
    }

    /// `HealthCheckResponse` ↔ its `status` field (public: the CLI's `health` command reads it).
    public static let responseCodec = MessageCodec<ServingStatus>.protobufC(
        "grpc.health.v1.HealthCheckResponse",
        unpack: grpc__health__v1__health_check_response__unpack,
        free: grpc__health__v1__health_check_response__free_unpacked,
        read: { response throws(RPCError) in
            let raw = Int32(bitPattern: response.pointee.status.rawValue)
            guard let status = ServingStatus(rawValue: raw) else {
                throw RPCError(code: .internal, message: "unknown serving status \(raw)")
            }
            return status
        },
        encode: { status in packedResponses[Int(status.rawValue)] }
    )
}
