import GRPCCore
import GRPCTestSupport
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import GRPCServerNIO

let emptyCheck: [UInt8] = [0, 0, 0, 0, 0]

@Suite("gRPC server over TCP (nghttp2 client)", .timeLimit(.minutes(1)))
struct GRPCServerTests {
    @Test("Health Check answers SERVING with grpc-status 0 in trailers")
    func check() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(id).closed }
                let stream = client.stream(id)
                #expect(stream.header(":status") == "200")
                #expect(stream.header("content-type") == "application/grpc")
                #expect(stream.data == [0, 0, 0, 0, 2, 0x08, 0x01])
                #expect(stream.trailer("grpc-status") == "0")
            }
        }
    }

    @Test("An unknown method is Trailers-Only UNIMPLEMENTED at HEADERS time, then RST_STREAM(NO_ERROR)")
    func unknownMethod() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/grpc.health.v1.Health/List", body: [], endStream: false)
                try await client.run { $0.stream(id).closed }
                let stream = client.stream(id)
                #expect(stream.header("grpc-status") == "12")
                #expect(stream.trailers.isEmpty)
                #expect(stream.dataFrames == 0)
                #expect(stream.resetByServer == 0)
            }
        }
    }

    @Test(
        "Non-gRPC requests get HTTP 405 / 415 with a text body", arguments: [("GET", "application/grpc", "405"), ("POST", "application/json", "415")])
    func plainHTTP(method: String, contentType: String, status: String) async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/grpc.health.v1.Health/Check", method: method, body: nil, contentType: contentType)
                try await client.run { $0.stream(id).closed }
                let stream = client.stream(id)
                #expect(stream.header(":status") == status)
                #expect(stream.header("content-type")?.hasPrefix("text/plain") == true)
                #expect(!stream.data.isEmpty)
            }
        }
    }

    @Test("A 5 MiB declared message is RESOURCE_EXHAUSTED, then RST_STREAM(NO_ERROR)")
    func oversized() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/grpc.health.v1.Health/Check", body: [0, 0, 0x50, 0, 0], endStream: false)
                try await client.run { $0.stream(id).closed }
                #expect(client.stream(id).header("grpc-status") == "8")
                #expect(client.stream(id).resetByServer == 0)
            }
        }
    }

    @Test("Watch sends the status at once and each change; a client cancel frees it and the connection stays usable")
    func watchAndCancel() async throws {
        try await withTestGRPCServer { port, health, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let watch = client.request(path: "/grpc.health.v1.Health/Watch", body: [0, 0, 0, 0, 3, 0x0A, 0x01, 0x78])
                try await client.run { $0.stream(watch).data.count >= 7 }
                #expect(client.stream(watch).header(":status") == "200")
                #expect(client.stream(watch).data == [0, 0, 0, 0, 2, 0x08, 0x03])
                health.setStatus(.serving, for: "x")
                try await client.run { $0.stream(watch).data.count >= 14 }
                #expect(Array(client.stream(watch).data.suffix(7)) == [0, 0, 0, 0, 2, 0x08, 0x01])
                client.reset(watch)
                let check = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(check).closed }
                #expect(client.stream(check).trailer("grpc-status") == "0")
            }
            for _ in 0..<500 where health.watcherCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(health.watcherCount == 0)
        }
    }

    @Test("grpc-timeout ends a Watch with DEADLINE_EXCEEDED in trailers")
    func deadline() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let start = ContinuousClock.now
                let id = client.request(path: "/grpc.health.v1.Health/Watch", headers: [("grpc-timeout", "150m")], body: emptyCheck)
                try await client.run { $0.stream(id).closed }
                let elapsed = ContinuousClock.now - start
                #expect(client.stream(id).data == [0, 0, 0, 0, 2, 0x08, 0x01])
                #expect(client.stream(id).trailer("grpc-status") == "4")
                #expect(elapsed >= .milliseconds(140))
                #expect(elapsed < .seconds(3))
            }
        }
    }

    @Test("Reflection answers each message before the client half-closes (lock-step), then ends OK")
    func reflectionLockStep() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let listServices: [UInt8] = [0x3A, 0x01, 0x2A]  // list_services = "*"
                let id = client.request(
                    path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                    body: MessageFramer.frame(listServices),
                    endStream: false
                )
                try await client.run { $0.stream(id).data.count > 5 }
                let first = client.stream(id).data.count
                #expect(String(decoding: client.stream(id).data, as: UTF8.self).contains("grpc.health.v1.Health"))
                let symbol = Array("grpc.health.v1.Health".utf8)
                client.send(MessageFramer.frame([0x22, UInt8(symbol.count)] + symbol), on: id)
                try await client.run { $0.stream(id).data.count > first }
                #expect(String(decoding: client.stream(id).data, as: UTF8.self).contains("grpc/health/v1/health.proto"))
                client.send([], on: id, endStream: true)
                try await client.run { $0.stream(id).closed }
                #expect(client.stream(id).trailer("grpc-status") == "0")
            }
        }
    }

    @Test("Hundreds of concurrent calls on one connection all succeed")
    func concurrentCalls() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let ids = (0..<300).map { _ in client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck) }
                try await client.run { client in ids.allSatisfy { client.stream($0).closed } }
                #expect(ids.allSatisfy { client.stream($0).trailer("grpc-status") == "0" })
            }
        }
    }

    @Test("Graceful shutdown: NOT_SERVING pushed, two GOAWAYs, streams end UNAVAILABLE, connection closes, run returns")
    func gracefulShutdown() async throws {
        try await withTestGRPCServer(goAwayDelay: .milliseconds(200)) { port, _, group, server in
            try await H2TestClient.withConnection(port: port) { client in
                let watch = client.request(path: "/grpc.health.v1.Health/Watch", body: emptyCheck)
                try await client.run { $0.stream(watch).data.count >= 7 }
                await group.triggerGracefulShutdown()
                try await client.run { $0.stream(watch).data.count >= 14 }
                #expect(Array(client.stream(watch).data.suffix(7)) == [0, 0, 0, 0, 2, 0x08, 0x02])
                try await client.run { $0.goAways.count >= 1 }
                #expect(client.goAways.first == Int32.max)
                try await client.run { $0.stream(watch).closed }
                #expect(client.goAways == [Int32.max, watch])
                #expect(client.stream(watch).trailer("grpc-status") == "14")
                #expect(client.stream(watch).trailer("grpc-message") == "server shutting down")
                try await client.run { $0.isConnectionClosed }
            }
            for _ in 0..<500 where server.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.connectionCount == 0)
        }
    }

    @Test("Graceful shutdown lets an in-flight unary call finish")
    func inFlightUnaryFinishes() async throws {
        try await withTestGRPCServer(register: { $0.register(OutcomeService(probe: HandlerProbe())) }) { port, _, group, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let check = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(check).closed }
                let id = client.request(path: "/test.Outcome/Later", body: MessageFramer.frame([3]))
                try await client.run { _ in true }
                await group.triggerGracefulShutdown()
                try await client.run { $0.stream(id).closed }
                #expect(client.stream(id).data == [0, 0, 0, 0, 2, 3, 3])
                #expect(client.stream(id).trailer("grpc-status") == "0")
            }
        }
    }

    @Test("The shutdown grace bounds a drain that a client holds open")
    func graceBoundsDrain() async throws {
        let start = ContinuousClock.now
        try await withTestGRPCServer(goAwayDelay: .milliseconds(50), shutdownGrace: .milliseconds(400)) { port, _, group, server in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(
                    path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                    body: MessageFramer.frame([0x3A, 0x01, 0x2A]),
                    endStream: false
                )
                try await client.run { $0.stream(id).data.count > 5 }
                await group.triggerGracefulShutdown()
                try await client.run { $0.isConnectionClosed }
                #expect(!client.stream(id).closed)
            }
            for _ in 0..<500 where server.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.connectionCount == 0)
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("A request header list over 16 KiB is RESOURCE_EXHAUSTED; the connection keeps serving")
    func headerListLimit() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let big = client.request(
                    path: "/grpc.health.v1.Health/Check",
                    headers: [("x-big", String(repeating: "a", count: 20_000))],
                    body: emptyCheck
                )
                let small = client.request(
                    path: "/grpc.health.v1.Health/Check",
                    headers: [("x-small", String(repeating: "a", count: 10_000))],
                    body: emptyCheck
                )
                try await client.run { $0.stream(big).closed && $0.stream(small).closed }
                #expect(client.stream(big).header("grpc-status") == "8")
                #expect(client.stream(small).trailer("grpc-status") == "0")
            }
        }
    }

    @Test("A connection that does not speak HTTP/2 is closed after our SETTINGS; the server keeps serving")
    func badPreface() async throws {
        try await withTestGRPCServer { port, _, _, _ in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let received = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
                var bytes: [UInt8] = []
                for try await buffer in inbound { bytes += buffer.readableBytesView }
                return bytes
            }
            // The server's SETTINGS went out at accept; then, at the bad preface, the close.
            #expect(received.count >= 9)
            #expect(received.dropFirst(3).first == 0x04)
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(id).closed }
                #expect(client.stream(id).trailer("grpc-status") == "0")
            }
        }
    }
}
