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

    private func makeRouter(_ registry: HealthStatusRegistry) throws -> RPCRouter {
        var services = ServiceRegistry(health: registry, reflectionIndex: try ReflectionIndex.embedded())
        services.register(EchoService())
        return services.makeRouter()
    }

    @Test("The registry holds \"\" and every registered service, all SERVING")
    func registeredServing() throws {
        let registry = HealthStatusRegistry()
        _ = try makeRouter(registry)
        for name in [
            "", "grpc.health.v1.Health", "test.Echo", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ] {
            #expect(registry.status(of: name) == .serving, "\(name)")
        }
        #expect(registry.status(of: "test") == nil)
    }

    @Test("Check answers the status as HealthCheckResponse bytes")
    func checkServing() throws {
        let router = try makeRouter(HealthStatusRegistry())
        guard case .response(let bytes) = check(router, service: "") else { Issue.record("no response"); return }
        #expect(bytes == [0x08, 0x01])
    }

    @Test("Check of an unregistered service is NOT_FOUND with no message")
    func checkUnknown() throws {
        let router = try makeRouter(HealthStatusRegistry())
        guard case .failure(let error) = check(router, service: "no.such.Service") else { Issue.record("answered"); return }
        #expect(error == RPCError(code: .notFound, message: ""))
    }

    @Test("Check of a malformed request is INTERNAL")
    func checkMalformed() throws {
        let router = try makeRouter(HealthStatusRegistry())
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
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "svc")
        var iterator = registry.watch("svc").makeAsyncIterator()
        #expect(await iterator.next() == .serving)
        registry.setStatus(.serving, for: "svc")
        registry.setStatus(.notServing, for: "svc")
        registry.setStatus(.notServing, for: "other")
        registry.setStatus(.serving, for: "svc")
        #expect(await iterator.next() == .notServing)
        #expect(await iterator.next() == .serving)
    }

    @Test("Watch of an unknown service says SERVICE_UNKNOWN, then its status once registered", .timeLimit(.minutes(1)))
    func watchUnknown() async {
        let registry = HealthStatusRegistry()
        var iterator = registry.watch("later").makeAsyncIterator()
        #expect(await iterator.next() == .serviceUnknown)
        registry.setStatus(.serving, for: "later")
        #expect(await iterator.next() == .serving)
    }

    @Test("Shutdown pushes NOT_SERVING to watchers and freezes every status", .timeLimit(.minutes(1)))
    func shutdown() async {
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "")
        registry.setStatus(.serving, for: "a")
        var iterator = registry.watch("").makeAsyncIterator()
        #expect(await iterator.next() == .serving)
        registry.enterShutdown()
        #expect(await iterator.next() == .notServing)
        registry.setStatus(.serving, for: "a")
        #expect(registry.status(of: "a") == .notServing)
        #expect(registry.status(of: "") == .notServing)
    }

    @Test("A cancelled watch is released", .timeLimit(.minutes(1)))
    func watchReleased() async {
        let registry = HealthStatusRegistry()
        let task = Task {
            for await _ in registry.watch("") {}
        }
        while registry.watcherCount == 0 { await Task.yield() }
        task.cancel()
        await task.value
        #expect(registry.watcherCount == 0)
    }
}
