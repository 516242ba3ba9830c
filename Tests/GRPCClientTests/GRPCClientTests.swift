import GRPCCore
import NIOCore
import NIOPosix
import Testing

@testable import GRPCClient

@Suite("GRPCClient against an in-process GRPCServer", .timeLimit(.minutes(1)))
struct GRPCClientTests {
    @Test("a unary call returns the response message")
    func echo() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let payload = Array("hello scaler".utf8)
            let result = await client.unary(
                "/test.Probe/Echo", request: payload, requestCodec: rawCodec, responseCodec: rawCodec, timeout: .seconds(2))
            #expect(try result.get() == payload)
            let empty = await client.unary("/test.Probe/Echo", request: [], requestCodec: rawCodec, responseCodec: rawCodec, timeout: .seconds(2))
            #expect(try empty.get() == [])
            await client.close()
        }
    }

    @Test("an error status arrives with its percent-decoded grpc-message")
    func errorStatus() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let result = await client.unary("/test.Probe/Fail", message: [], timeout: .seconds(2))
            #expect(result == .failure(RPCError(code: .failedPrecondition, message: "lag is 100% ≥ threshold\nsecond line")))
            await client.close()
        }
    }

    @Test("unknown methods and services are UNIMPLEMENTED")
    func unknownMethod() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            for path in ["/test.Probe/Nope", "/no.Such/Method"] {
                let result = await client.unary(path, message: [], timeout: .seconds(2))
                #expect(throws: RPCError.self) { try result.get() }
                if case .failure(let error) = result { #expect(error.code == .unimplemented) }
            }
            await client.close()
        }
    }

    @Test("the timeout travels as grpc-timeout")
    func deadlineHeader() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let result = await client.unary("/test.Probe/Deadline", message: [], timeout: .seconds(3))
            let millisecondsLeft = try #require(Int(String(decoding: try result.get(), as: UTF8.self)))
            #expect((2000...3000).contains(millisecondsLeft))
            await client.close()
        }
    }

    @Test("a call that outlives its timeout ends DEADLINE_EXCEEDED on time, and the connection stays usable")
    func deadlineExceeded() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let started = ContinuousClock.now
            let result = await client.unary("/test.Probe/Slow", message: [1], timeout: .milliseconds(300))
            let elapsed = started.duration(to: .now)
            guard case .failure(let error) = result else {
                Issue.record("expected DEADLINE_EXCEEDED, got \(result)")
                return
            }
            #expect(error.code == .deadlineExceeded)
            #expect(elapsed < .seconds(2))
            let next = await client.unary("/test.Probe/Echo", message: [9], timeout: .seconds(2))
            #expect(try next.get() == [9])
            await client.close()
        }
    }

    @Test("a response above the size limit is RESOURCE_EXHAUSTED")
    func oversizedResponse() async throws {
        try await withProbeServer { port, _ in
            let configuration = GRPCClientConfiguration(connectTimeout: .seconds(2), maximumResponseLength: 16 * 1024)
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, configuration: configuration)
            let small = await client.unary("/test.Probe/Big", message: [16], timeout: .seconds(2))
            #expect(try small.get().count == 16 * 1024)
            let big = await client.unary("/test.Probe/Big", message: [64], timeout: .seconds(2))
            guard case .failure(let error) = big else {
                Issue.record("expected RESOURCE_EXHAUSTED, got \(big)")
                return
            }
            #expect(error.code == .resourceExhausted)
            await client.close()
        }
    }

    @Test("a response larger than the HTTP/2 flow-control window arrives whole")
    func flowControl() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let result = await client.unary("/test.Probe/Big", message: [255], timeout: .seconds(5))
            #expect(try result.get() == [UInt8](repeating: 7, count: 255 * 1024))
            await client.close()
        }
    }

    @Test("concurrent calls share one connection")
    func concurrentCalls() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let payload = Array("call \(index)".utf8)
                        return (try? await client.unary("/test.Probe/Echo", message: payload, timeout: .seconds(5)).get()) == payload
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.count == 50)
            #expect(results.allSatisfy { $0 })
            await client.close()
        }
    }

    @Test("health Check with the server's own codecs")
    func healthCheck() async throws {
        try await withProbeServer { port, health in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let check = { (service: String) in
                await client.unary(
                    "/grpc.health.v1.Health/Check", request: service,
                    requestCodec: HealthService.requestCodec, responseCodec: HealthService.responseCodec, timeout: .seconds(2)
                )
            }
            #expect(try await check("").get() == .serving)
            #expect(try await check("test.Probe").get() == .serving)
            health.setStatus(.notServing, for: "test.Probe")
            #expect(try await check("test.Probe").get() == .notServing)
            let unknown = await check("no.Such")
            if case .failure(let error) = unknown { #expect(error.code == .notFound) } else { Issue.record("expected NOT_FOUND") }
            await client.close()
        }
    }

    @Test("a cancelled task's call ends CANCELLED at once")
    func cancellation() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let task = Task { await client.unary("/test.Probe/Slow", message: [], timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.value
            if case .failure(let error) = result { #expect(error.code == .cancelled) } else { Issue.record("expected CANCELLED") }
            #expect(try await client.unary("/test.Probe/Echo", message: [3], timeout: .seconds(2)).get() == [3])
            await client.close()
        }
    }

    @Test("a call from an already cancelled task ends CANCELLED without waiting for its timeout")
    func cancelledBeforeStart() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            let started = ContinuousClock.now
            let result = await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await client.unary("/test.Probe/Slow", message: [], timeout: .seconds(20))
            }.value
            if case .failure(let error) = result { #expect(error.code == .cancelled) } else { Issue.record("expected CANCELLED") }
            #expect(started.duration(to: .now) < .seconds(5))
            await client.close()
        }
    }

    @Test("calls after close are UNAVAILABLE")
    func afterClose() async throws {
        try await withProbeServer { port, _ in
            let client = try await GRPCClient.connect(host: "127.0.0.1", port: port)
            await client.close()
            #expect(!client.isConnected)
            let result = await client.unary("/test.Probe/Echo", message: [1], timeout: .seconds(1))
            if case .failure(let error) = result { #expect(error.code == .unavailable) } else { Issue.record("expected UNAVAILABLE") }
        }
    }

    @Test("a closed port is a connect failure")
    func connectRefused() async throws {
        let port = try await closedPort()
        await #expect(throws: GRPCClientError.self) {
            _ = try await GRPCClient.connect(host: "127.0.0.1", port: port)
        }
        do {
            _ = try await GRPCClient.connect(host: "127.0.0.1", port: port)
        } catch {
            #expect(error.code == .connectFailed)
            #expect(error.message.contains("127.0.0.1:\(port)"))
        }
    }

    /// A port that was just bound and released, so nothing listens on it.
    private func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}
