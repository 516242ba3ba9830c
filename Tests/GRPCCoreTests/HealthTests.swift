import Logging
import Testing

@testable import GRPCCore

@Suite("Health service")
struct HealthTests {
    private func context() -> ServerContext {
        ServerContext(
            method: "grpc.health.v1.Health/Check",
            deadline: nil,
            peer: "test",
            logger: Logger(label: "test"),
            cancellation: CallCancellation()
        )
    }

    private func check(_ router: RPCRouter, service: String) -> UnaryOutcome<[UInt8]> {
        let route = router.route(forPath: "/grpc.health.v1.Health/Check")!
        guard case .unary(let handler) = route.method.handler else { fatalError("Check is unary") }
        let request = HealthService.requestCodec.encode(service)
        return request.withUnsafeBytes { handler($0, context()) }
    }

    private func makeRouter(_ statuses: HealthStatusBoard) throws -> RPCRouter {
        var services = ServiceCatalog(health: statuses, reflectionIndex: try ReflectionIndex.embedded())
        services.register(EchoService())
        return services.makeRouter()
    }

    @Test("The status board holds \"\" and every registered service, all SERVING")
    func registeredServing() throws {
        let statuses = HealthStatusBoard()
        _ = try makeRouter(statuses)
        for name in [
            "", "grpc.health.v1.Health", "test.Echo", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ] {
            #expect(statuses.status(of: name) == .serving, "\(name)")
        }
        #expect(statuses.status(of: "test") == nil)
    }

    @Test("Check answers the status as HealthCheckResponse bytes")
    func checkServing() throws {
        let router = try makeRouter(HealthStatusBoard())
        guard case .response(let bytes) = check(router, service: "") else { Issue.record("no response"); return }
        #expect(bytes == [0x08, 0x01])
    }

    @Test("Check of an unregistered service is NOT_FOUND with no message")
    func checkUnknown() throws {
        let router = try makeRouter(HealthStatusBoard())
        guard case .failure(let error) = check(router, service: "no.such.Service") else { Issue.record("answered"); return }
        #expect(error == RPCError(code: .notFound, message: ""))
    }

    @Test("Check of a malformed request is INTERNAL")
    func checkMalformed() throws {
        let router = try makeRouter(HealthStatusBoard())
        let route = try #require(router.route(forPath: "/grpc.health.v1.Health/Check"))
        guard case .unary(let handler) = route.method.handler else { return }
        guard case .failure(let error) = [UInt8]([0x0A, 0x05]).withUnsafeBytes({ handler($0, context()) }) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .internal)
    }

    @Test("Response codec: the four statuses, UNKNOWN as an empty message")
    func responseBytes() throws {
        #expect(HealthService.responseCodec.encode(.unknown) == [])
        #expect(HealthService.responseCodec.encode(.serving) == [0x08, 0x01])
        #expect(HealthService.responseCodec.encode(.notServing) == [0x08, 0x02])
        #expect(HealthService.responseCodec.encode(.serviceUnknown) == [0x08, 0x03])
        let decoded = try decode(HealthService.responseCodec, [0x08, 0x02])
        #expect(decoded == .notServing)
    }

    @Test("Watch yields the current status at once, then only changes", .timeLimit(.minutes(1)))
    func watchChanges() async {
        let statuses = HealthStatusBoard()
        statuses.setStatus(.serving, for: "svc")
        var iterator = statuses.watch("svc").makeAsyncIterator()
        #expect(await iterator.next() == .serving)
        statuses.setStatus(.serving, for: "svc")
        statuses.setStatus(.notServing, for: "svc")
        statuses.setStatus(.notServing, for: "other")
        statuses.setStatus(.serving, for: "svc")
        #expect(await iterator.next() == .notServing)
        #expect(await iterator.next() == .serving)
    }

    @Test("Watch of an unknown service says SERVICE_UNKNOWN, then its status once registered", .timeLimit(.minutes(1)))
    func watchUnknown() async {
        let statuses = HealthStatusBoard()
        var iterator = statuses.watch("later").makeAsyncIterator()
        #expect(await iterator.next() == .serviceUnknown)
        statuses.setStatus(.serving, for: "later")
        #expect(await iterator.next() == .serving)
    }

    @Test("Shutdown pushes NOT_SERVING to watchers and freezes every status", .timeLimit(.minutes(1)))
    func shutdown() async {
        let statuses = HealthStatusBoard()
        statuses.setStatus(.serving, for: "")
        statuses.setStatus(.serving, for: "a")
        var iterator = statuses.watch("").makeAsyncIterator()
        #expect(await iterator.next() == .serving)
        statuses.enterShutdown()
        #expect(await iterator.next() == .notServing)
        statuses.setStatus(.serving, for: "a")
        #expect(statuses.status(of: "a") == .notServing)
        #expect(statuses.status(of: "") == .notServing)
    }

    @Test("A cancelled watch is released", .timeLimit(.minutes(1)))
    func watchReleased() async {
        let statuses = HealthStatusBoard()
        let task = Task {
            for await _ in statuses.watch("") {}
        }
        while statuses.watcherCount == 0 { await Task.yield() }
        task.cancel()
        await task.value
        #expect(statuses.watcherCount == 0)
    }
}
