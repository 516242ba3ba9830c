import ArgumentParser
import GRPCCore
import GRPCServerNIO
import Logging
import ServiceLifecycle
import Testing

@testable import keda_kafka_scaler

/// The `health` command's exit codes that the e2e tests cannot arrange: NOT_SERVING (4)
/// needs a server that is up but reports itself unhealthy.
@Suite("health command against an in-process GRPCServer", .timeLimit(.minutes(1)))
struct HealthCommandTests {
    @Test("SERVING runs clean; NOT_SERVING exits 4; an unknown service exits 3")
    func exitCodes() async throws {
        let services = ServiceRegistry(reflectionIndex: try ReflectionIndex.embedded())
        let server = GRPCServer(
            configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0, goAwayDelay: .milliseconds(50), shutdownGrace: .seconds(2)),
            services: services, logger: Logger(label: "test.grpc")
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)], logger: Logger(label: "test")
        ))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try #require(try await server.listeningAddress.port)
            func exitCode(_ arguments: [String]) async throws -> Int32 {
                let command = try Health.parse(["--address", "127.0.0.1:\(port)"] + arguments)
                do {
                    try await command.run()
                    return 0
                } catch let code as ExitCode {
                    return code.rawValue
                }
            }
            #expect(try await exitCode([]) == 0)
            services.health.setStatus(.notServing, for: "")
            #expect(try await exitCode([]) == Health.Status.unhealthy)
            #expect(try await exitCode(["--service", "grpc.health.v1.Health"]) == 0)
            #expect(try await exitCode(["--service", "nope"]) == Health.Status.rpcFailure)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
