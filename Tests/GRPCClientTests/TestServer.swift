import GRPCCore
import GRPCServerNIO
import Logging
import ServiceLifecycle
import Testing
import TimeUnits

/// Messages as raw bytes, so tests see exactly what travelled.
let rawCodec = MessageCodec<[UInt8]>(decode: { Array($0) }, encode: { $0 })

/// `test.Probe`: methods that answer in each way a gRPC server can.
struct ProbeService: RPCService {
    var serviceName: String { "test.Probe" }

    var methods: [RPCMethod] {
        [
            .unary("Echo", request: rawCodec, response: rawCodec) { request, _ in .response(request) },
            .unary("Fail", request: rawCodec, response: rawCodec) { _, _ in
                .failure(RPCError(code: .failedPrecondition, message: "lag is 100% ≥ threshold\nsecond line"))
            },
            .unary("Slow", request: rawCodec, response: rawCodec) { request, _ in
                .async {
                    try await Task.sleep(for: .seconds(10))
                    return request
                }
            },
            .unary("Big", request: rawCodec, response: rawCodec) { request, _ in
                .response([UInt8](repeating: 7, count: Int(request.first ?? 0) * 1024))
            },
            // Answers the milliseconds left until the call's deadline, as decimal text.
            .unary("Deadline", request: rawCodec, response: rawCodec) { _, context in
                guard let deadline = context.deadline else { return .response(Array("none".utf8)) }
                let left = ContinuousClock.now.duration(to: deadline)
                return .response(Array("\(left.roundedUpMilliseconds)".utf8))
            },
        ]
    }
}

/// A real GRPCServer on 127.0.0.1 with an ephemeral port, shut down when `body` ends.
func withProbeServer(_ body: (_ port: Int, _ health: HealthStatusRegistry) async throws -> Void) async throws {
    var services = ServiceRegistry(reflectionIndex: try ReflectionIndex.embedded())
    services.register(ProbeService())
    let server = GRPCServer(
        configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0, goAwayDelay: .milliseconds(50), shutdownGrace: .seconds(2)),
        services: services,
        logger: Logger(label: "test.grpc")
    )
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "grpc")],
            logger: Logger(label: "test.group")
        )
    )
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let port = try #require(try await server.listeningAddress.port)
        try await body(port, services.health)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
