import NIOCore
import NIOPosix
import Testing

@testable import keda_kafka_scaler

@Suite("The ops port's HTTP/1.1 client", .timeLimit(.minutes(1)))
struct OpsHTTPClientTests {
    @Test("a server that never answers is a timeout, on time")
    func timeout() async throws {
        // Accepts connections but never reads or answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(silent.localAddress?.port)
        let started = ContinuousClock.now
        do {
            _ = try await OpsHTTPClient.send(.GET, "/registry", to: HostAndPort(host: "127.0.0.1", port: port), timeout: .milliseconds(300))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timedOut)
        }
        #expect(started.duration(to: .now) < .seconds(3))
        try await silent.close()
    }

    @Test("an address where nothing listens is a failure naming it")
    func unreachable() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        do {
            _ = try await OpsHTTPClient.send(.GET, "/registry", to: HostAndPort(host: "127.0.0.1", port: port), timeout: .seconds(2))
            Issue.record("expected a failure")
        } catch {
            #expect(error.code == .unreachable)
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }
}
