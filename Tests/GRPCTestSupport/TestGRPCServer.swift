public import GRPCCore
public import GRPCServerNIO
import Logging
import NIOCore
public import ServiceLifecycle

/// The server of a test did not report a port.
public struct TestServerError: Error, CustomStringConvertible {
    public var description: String { "the test gRPC server reported no listening port" }
}

/// Runs a real GRPCServer on 127.0.0.1 with an ephemeral port inside a ServiceGroup,
/// calls `body` with the port, the health registry, the group and the server, then shuts
/// the group down gracefully: the one server setup the gRPC server, client and CLI test
/// suites share. `register` adds the suite's services beside Health and reflection.
public func withTestGRPCServer(
    goAwayDelay: Duration = .milliseconds(100),
    shutdownGrace: Duration = .seconds(5),
    tls: TLSContextReloader? = nil,
    handshakeTimeout: Duration = .seconds(10),
    register: (inout ServiceCatalog) -> Void = { _ in },
    _ body: (_ port: Int, _ health: HealthStatusBoard, _ group: ServiceGroup, _ server: GRPCServer) async throws -> Void
) async throws {
    var services = ServiceCatalog(reflectionIndex: try ReflectionIndex.embedded())
    register(&services)
    let server = GRPCServer(
        configuration: GRPCServerConfiguration(
            host: "127.0.0.1", port: 0, goAwayDelay: goAwayDelay, shutdownGrace: shutdownGrace, handshakeTimeout: handshakeTimeout
        ),
        services: services,
        tls: tls,
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
        guard let port = try await server.listeningAddress.port else { throw TestServerError() }
        try await body(port, services.health, group, server)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
