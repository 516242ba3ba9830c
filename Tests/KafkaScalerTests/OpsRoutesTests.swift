import Foundation
import GRPCCore
import KafkaLag
import Logging
import NIOHTTP1
import ScalerRegistry
import Testing
@testable import KafkaScaler

/// Never asked to read: these tests only admit and reload.
private struct NoKafka: KafkaReaderFactory {
    func makeReader(for settings: ConnectionSettings) throws(KafkaLagError) -> any KafkaReader {
        throw KafkaLagError(.internalError, "no Kafka in ops tests")
    }
}

@Suite("Ops routes: readiness, registry listing, reload authorization")
struct OpsRoutesTests {
    let health = HealthStatusBoard()
    let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("kks-token-\(UUID().uuidString)").path

    func makeRoutes(trustLoopback: Bool = true, openRegistry: Bool = false) -> (OpsRoutes, ScalerRegistry) {
        let resolver = TriggerResolver(directory: AuthProfileDirectory(root: nil))
        let registry = ScalerRegistry(
            configuration: .defaults, readers: NoKafka(), resolver: resolver, clock: SystemRegistryClock(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let routes = OpsRoutes(
            registry: registry, health: health, metrics: { Array("kafka_scaler_up 1\n".utf8) },
            access: OpsAccess(adminTokenFile: tokenFile, trustLoopback: trustLoopback, openRegistry: openRegistry),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (routes, registry)
    }

    @Test("/readyz turns 503 once shutdown begins; /healthz stays 200")
    func readiness() async {
        let (routes, _) = makeRoutes()
        health.setStatus(.serving, for: "")
        #expect(await routes.respond(to: OpsRequest(method: .GET, path: "/readyz", fromLoopback: false)).status == .ok)
        health.enterShutdown()
        #expect(await routes.respond(to: OpsRequest(method: .GET, path: "/readyz", fromLoopback: false)).status == .serviceUnavailable)
        #expect(await routes.respond(to: OpsRequest(method: .GET, path: "/healthz", fromLoopback: false)).status == .ok)
    }

    @Test("reload: loopback or the bearer token, 403 otherwise")
    func reloadAuthorization() async throws {
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        try "s3cret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let (routes, _) = makeRoutes()
        func reload(_ authorization: String?, loopback: Bool) async -> HTTPResponseStatus {
            await routes.respond(to: OpsRequest(method: .POST, path: "/registry/reload", authorization: authorization, fromLoopback: loopback)).status
        }
        #expect(await reload(nil, loopback: true) == .ok)
        #expect(await reload("Bearer s3cret-token", loopback: false) == .ok)
        #expect(await reload("Bearer wrong", loopback: false) == .forbidden)
        #expect(await reload(nil, loopback: false) == .forbidden)
        #expect(await routes.respond(to: OpsRequest(method: .GET, path: "/registry/reload", fromLoopback: true)).status == .methodNotAllowed)
    }

    @Test("the registry and reload need an operator: loopback counts only when trusted; --ops-open-registry opens the listing, not reload")
    func registryAccess() async throws {
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        try "s3cret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        func status(_ routes: OpsRoutes, _ method: HTTPMethod, _ path: String, _ authorization: String? = nil, loopback: Bool = true) async
            -> HTTPResponseStatus
        {
            await routes.respond(to: OpsRequest(method: method, path: path, authorization: authorization, fromLoopback: loopback)).status
        }
        let (strict, _) = makeRoutes(trustLoopback: false)
        #expect(await status(strict, .GET, "/registry") == .forbidden)
        #expect(await status(strict, .POST, "/registry/reload") == .forbidden)
        #expect(await status(strict, .GET, "/registry", "Bearer s3cret-token") == .ok)
        #expect(await status(strict, .POST, "/registry/reload", "Bearer s3cret-token", loopback: false) == .ok)
        #expect(await status(strict, .GET, "/metrics", loopback: false) == .ok)
        let denial = await strict.respond(to: OpsRequest(method: .GET, path: "/registry", fromLoopback: true))
        #expect(
            String(decoding: denial.body, as: UTF8.self) == "GET /registry is accepted with Authorization: Bearer <token of --admin-token-file>\n")
        let (open, _) = makeRoutes(trustLoopback: false, openRegistry: true)
        #expect(await status(open, .GET, "/registry", loopback: false) == .ok)
        #expect(await status(open, .POST, "/registry/reload", loopback: false) == .forbidden)
        let (trusting, _) = makeRoutes(trustLoopback: true)
        #expect(await status(trusting, .GET, "/registry") == .ok)
        #expect(await status(trusting, .GET, "/registry", loopback: false) == .forbidden)
    }

    @Test("reload of one entry: 404 for an unknown one, half a key is 400")
    func reloadOne() async throws {
        let (routes, registry) = makeRoutes()
        let source = Source(connection: ConnectionSettings(bootstrapServers: ["a:9092"]), consumerGroup: "g", topic: "t")
        _ = try registry.admit(
            .init(
                key: RegistryKey(namespace: "shop", name: "orders"), version: 0, source: source,
                metadata: ["bootstrapServers": "a:9092", "consumerGroup": "g", "topic": "t"]))
        func reload(_ query: [String: String]) async -> OpsResponse {
            await routes.respond(to: OpsRequest(method: .POST, path: "/registry/reload", query: query, fromLoopback: true))
        }
        let one = await reload(["namespace": "shop", "name": "orders"])
        #expect(one.status == .ok && String(decoding: one.body, as: UTF8.self) == #"{"reloaded":1}"#)
        #expect(await reload(["namespace": "shop", "name": "nope"]).status == .notFound)
        #expect(await reload(["namespace": "shop"]).status == .badRequest)
        let listing = await routes.respond(to: OpsRequest(method: .GET, path: "/registry", fromLoopback: true))
        #expect(listing.contentType == "application/json")
        #expect(String(decoding: listing.body, as: UTF8.self).contains(#""name":"orders""#))
    }

    @Test("unknown paths are 404, /metrics is Prometheus text")
    func routing() async {
        let (routes, _) = makeRoutes()
        #expect(await routes.respond(to: OpsRequest(method: .GET, path: "/nope", fromLoopback: true)).status == .notFound)
        let metrics = await routes.respond(to: OpsRequest(method: .GET, path: "/metrics", fromLoopback: false))
        #expect(metrics.contentType.hasPrefix("text/plain; version=0.0.4"))
    }
}
