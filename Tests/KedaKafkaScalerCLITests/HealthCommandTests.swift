import ArgumentParser
import GRPCCore
import GRPCTestSupport
import Testing

@testable import keda_kafka_scaler

/// The `health` command's exit codes that the e2e tests cannot arrange: NOT_SERVING (4)
/// needs a server that is up but reports itself unhealthy.
@Suite("health command against an in-process GRPCServer", .timeLimit(.minutes(1)))
struct HealthCommandTests {
    @Test("SERVING runs clean; NOT_SERVING exits 4; an unknown service exits 3")
    func exitCodes() async throws {
        try await withTestGRPCServer(goAwayDelay: .milliseconds(50), shutdownGrace: .seconds(2)) { port, health, _, _ async throws in
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
            health.setStatus(.notServing, for: "")
            #expect(try await exitCode([]) == Health.Status.unhealthy)
            #expect(try await exitCode(["--service", "grpc.health.v1.Health"]) == 0)
            #expect(try await exitCode(["--service", "nope"]) == Health.Status.rpcFailure)
        }
    }
}
