import Foundation
import GRPCClient
import GRPCServerCore
import GRPCServerNIO
import KafkaLag
import KafkaMockCluster
import KafkaScaler
import NIOCore
import NIOPosix
import ScalerRegistry
import ServiceLifecycle
import Testing

@testable import keda_kafka_scaler

/// The commands' building blocks against the real scaler (ScalerAssembly, as `demo`
/// runs it) reading librdkafka's mock cluster over TCP.
@Suite("KEDA round, registry listing and reload against the in-process scaler", .serialized, .timeLimit(.minutes(2)))
struct ScalerRoundTests {
    @Test("probe's round returns the metric spec, the lag and the activity; the ops port lists and reloads the entry")
    func roundAndRegistry() async throws {
        let cluster = try MockKafkaCluster(brokers: 1)
        try await cluster.createTopic("orders", partitions: 3)
        try await cluster.produce([TopicPartition(topic: "orders", partition: 0): 30, TopicPartition(topic: "orders", partition: 1): 10])
        try await cluster.commit(group: "g", offsets: [
            TopicPartition(topic: "orders", partition: 0): 10, TopicPartition(topic: "orders", partition: 1): 10,
            TopicPartition(topic: "orders", partition: 2): 0,
        ])
        let opsPort = try await freePort()
        let scaler = try ScalerAssembly(
            grpc: GRPCServerConfiguration(host: "127.0.0.1", port: 0, goAwayDelay: .milliseconds(50), shutdownGrace: .seconds(2)),
            registry: .defaults, opsPort: opsPort, metrics: { [] }, logLevel: .error
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: scaler.services, logger: .init(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try #require(try await scaler.server.listeningAddress.port)
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            var metadata = ["bootstrapServers": cluster.bootstrapServers, "consumerGroup": "g", "topic": "orders", "lagThreshold": "5"]
            let ref = ScaledObjectRef(name: "so", namespace: "ns", scalerMetadata: metadata)

            let round = await KedaRound.run(client, ref: ref, timeout: .seconds(5))
            #expect(round.target == NamedMetric(name: "kafka-orders", value: 5))
            // Total lag 20, but KEDA caps the metric at partitions × lagThreshold = 15.
            #expect(round.value == NamedMetric(name: "kafka-orders", value: 15))
            #expect(round.isActive == true)
            #expect(round.succeeded)

            metadata["lagThreshold"] = "-1"
            let invalid = await KedaRound.run(client, ref: ScaledObjectRef(name: "bad", namespace: "ns", scalerMetadata: metadata), timeout: .seconds(5))
            #expect(!invalid.succeeded)
            #expect(invalid.metrics == nil)
            if case .failure(let error) = invalid.metricSpec.result {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("lagThreshold"))
            } else {
                Issue.record("expected INVALID_ARGUMENT")
            }
            await client.close()

            let ops = HostAndPort(host: "127.0.0.1", port: opsPort)
            let listing = try await eventually { try await OpsHTTPClient.send(.GET, "/registry", to: ops, timeout: .seconds(2)) }
            #expect(listing.status == .ok)
            let decoded = try JSONDecoder().decode(RegistryListing.self, from: Data(listing.body))
            #expect(decoded.entries.map { "\($0.namespace)/\($0.name)" } == ["ns/so"])
            #expect(decoded.entries.first?.lastEvaluation?.totalLag == 20)
            let table = decoded.table()
            #expect(table.first?.hasPrefix("KEY") == true)
            #expect(table.contains { $0.hasPrefix("ns/so") && $0.contains("g/orders") && $0.contains("lag 20 / metric 15 active") })

            let reload = try await OpsHTTPClient.send(.POST, "/registry/reload?namespace=ns&name=so", to: ops, timeout: .seconds(2))
            #expect(reload.status == .ok)
            #expect(reload.text.contains("\"reloaded\":1"))
            let missing = try await OpsHTTPClient.send(.POST, "/registry/reload?namespace=ns&name=nope", to: ops, timeout: .seconds(2))
            #expect(missing.status == .notFound)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await cluster.close()
    }

    @Test("an ops address where nothing listens is a clear failure")
    func unreachableOps() async throws {
        let port = try await freePort()
        await #expect(throws: OpsHTTPClient.Failure.self) {
            _ = try await OpsHTTPClient.send(.GET, "/registry", to: HostAndPort(host: "127.0.0.1", port: port), timeout: .seconds(2))
        }
    }

    /// Retries `body` for up to 5 s (the ops port binds shortly after start).
    private func eventually<T>(_ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try await body()
            } catch where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// A port that was just bound and released.
    private func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}
