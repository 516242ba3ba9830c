#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

import KafkaScaler

@Suite("The one-request HTTP/1.1 client (ops port, token endpoints)", .timeLimit(.minutes(1)))
struct HTTP1ClientTests {
    @Test("a server that never answers is a timeout, on time")
    func timeout() async throws {
        // Accepts connections but never reads or answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(silent.localAddress?.port)
        let started = ContinuousClock.now
        do {
            _ = try await HTTP1Client.send(.GET, "/registry", host: "127.0.0.1", port: port, timeout: .milliseconds(300))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timedOut)
        }
        #expect(started.duration(to: .now) < .seconds(3))
        try await silent.close()
    }

    @Test("a connect that never completes (full accept queue) is a timeout too")
    func connectTimeout() async throws {
        // A listener that never accepts, with its one-slot queue taken: Linux drops later SYNs.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        var fillers: [any Channel] = []
        for _ in 0..<2 {
            if let filler = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.milliseconds(200)).connect(
                host: "127.0.0.1", port: port
            ).get() {
                fillers.append(filler)
            }
        }
        do {
            _ = try await HTTP1Client.send(.GET, "/registry", host: "127.0.0.1", port: port, timeout: .milliseconds(300))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timedOut)
        }
        for filler in fillers { try? await filler.close() }
    }

    @Test("an address where nothing listens is a failure naming it")
    func unreachable() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        do {
            _ = try await HTTP1Client.send(.GET, "/registry", host: "127.0.0.1", port: port, timeout: .seconds(2))
            Issue.record("expected a failure")
        } catch {
            #expect(error.code == .unreachable)
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }
}
