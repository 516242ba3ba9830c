import GRPCCore
import GRPCTestSupport
import Synchronization
import Testing

/// Observations a test service makes about how its handlers were run.
final class HandlerProbe: Sendable {
    let startedTasks = Atomic<Int>(0)
    let cancelledTasks = Atomic<Int>(0)
    let cancellationFlags = Atomic<Int>(0)
}

/// Handlers exercising each way a handler can answer.
struct OutcomeService: RPCService {
    struct Boom: Error {}
    static let raw = MessageCodec<[UInt8]>(decode: { Array($0) }, encode: { $0 })
    let probe: HandlerProbe

    var serviceName: String { "test.Outcome" }

    var methods: [RPCMethod] {
        let probe = self.probe
        return [
            .unary("Slow", request: Self.raw, response: Self.raw) { request, context in
                .async {
                    probe.startedTasks.add(1, ordering: .relaxed)
                    do {
                        try await Task.sleep(for: .seconds(5))
                    } catch {
                        probe.cancelledTasks.add(1, ordering: .relaxed)
                        if context.cancellation.isCancelled { probe.cancellationFlags.add(1, ordering: .relaxed) }
                        throw error
                    }
                    return request
                }
            },
            .unary("Later", request: Self.raw, response: Self.raw) { request, _ in
                .async {
                    try await Task.sleep(for: .milliseconds(20))
                    return request + request
                }
            },
            .unary("Fail", request: Self.raw, response: Self.raw) { _, _ in
                .failure(RPCError(code: .invalidArgument, message: "bad arg: 100% ünïcode"))
            },
            .unary("Throw", request: Self.raw, response: Self.raw) { _, _ in
                .async { throw Boom() }
            },
            .serverStreaming("Count", request: Self.raw, response: Self.raw) { request, _, writer in
                for value in 1...(request.first ?? 1) { writer.send([value]) }
            },
            .serverStreaming("FailAfterOne", request: Self.raw, response: Self.raw) { _, _, writer in
                writer.send([1])
                throw RPCError(code: .aborted, message: "stopped")
            },
        ]
    }
}

@Suite("Handler outcomes over TCP", .timeLimit(.minutes(1)))
struct HandlerOutcomeTests {
    private func call(_ method: String, body: [UInt8], headers: [(String, String)] = [], probe: HandlerProbe = HandlerProbe()) async throws
        -> H2TestClient.Stream
    {
        var result = H2TestClient.Stream()
        try await withTestGRPCServer(register: { $0.register(OutcomeService(probe: probe)) }) { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/test.Outcome/\(method)", headers: headers, body: MessageFramer.frame(body))
                try await client.run { $0.stream(id).closed }
                result = client.stream(id)
            }
        }
        return result
    }

    @Test("Async unary work answers from its task")
    func asyncResponse() async throws {
        let stream = try await call("Later", body: [7])
        #expect(stream.data == [0, 0, 0, 0, 2, 7, 7])
        #expect(stream.trailer("grpc-status") == "0")
    }

    @Test("A deadline cuts async work: Trailers-Only DEADLINE_EXCEEDED, task and context cancelled")
    func deadlineCancelsWork() async throws {
        let probe = HandlerProbe()
        let start = ContinuousClock.now
        let stream = try await call("Slow", body: [1], headers: [("grpc-timeout", "100m")], probe: probe)
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(stream.header("grpc-status") == "4")
        #expect(stream.trailers.isEmpty)
        for _ in 0..<200 where probe.cancelledTasks.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(probe.cancelledTasks.load(ordering: .relaxed) == 1)
        #expect(probe.cancellationFlags.load(ordering: .relaxed) == 1)
    }

    @Test("A client reset cancels async work")
    func resetCancelsWork() async throws {
        let probe = HandlerProbe()
        try await withTestGRPCServer(register: { $0.register(OutcomeService(probe: probe)) }) { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/test.Outcome/Slow", body: MessageFramer.frame([1]))
                try await client.run { _ in true }
                // Reset only once the handler runs: a reset before dispatch cancels nothing.
                for _ in 0..<500 where probe.startedTasks.load(ordering: .relaxed) == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try #require(probe.startedTasks.load(ordering: .relaxed) == 1)
                client.reset(id)
                let check = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(check).closed }
                #expect(client.stream(check).trailer("grpc-status") == "0")
            }
            for _ in 0..<200 where probe.cancelledTasks.load(ordering: .relaxed) == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(probe.cancelledTasks.load(ordering: .relaxed) == 1)
        }
    }

    @Test("A reset in the same packet as its request leaves no work running")
    func resetBeforeDispatch() async throws {
        let probe = HandlerProbe()
        try await withTestGRPCServer(register: { $0.register(OutcomeService(probe: probe)) }) { port, _, _, _ in
            try await H2TestClient.withConnection(port: port) { client in
                let id = client.request(path: "/test.Outcome/Slow", body: MessageFramer.frame([1]))
                client.reset(id)
                let check = client.request(path: "/grpc.health.v1.Health/Check", body: emptyCheck)
                try await client.run { $0.stream(check).closed }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(probe.cancelledTasks.load(ordering: .relaxed) == probe.startedTasks.load(ordering: .relaxed))
        }
    }

    @Test("A returned status error is Trailers-Only with a percent-encoded message")
    func failure() async throws {
        let stream = try await call("Fail", body: [])
        #expect(stream.header("grpc-status") == "3")
        #expect(stream.header("grpc-message") == "bad arg: 100%25 %C3%BCn%C3%AFcode")
        #expect(stream.dataFrames == 0)
    }

    @Test("Any other thrown error is UNKNOWN")
    func unknown() async throws {
        #expect(try await call("Throw", body: []).header("grpc-status") == "2")
    }

    @Test("Server-streaming messages arrive in order; the last one always does")
    func streaming() async throws {
        let stream = try await call("Count", body: [5])
        #expect(stream.trailer("grpc-status") == "0")
        #expect(stream.data.count % 6 == 0)
        let values = stride(from: 5, to: stream.data.count, by: 6).map { stream.data[$0] }
        #expect(values.last == 5)
        #expect(values == values.sorted() && Set(values).count == values.count)
    }

    @Test("A streaming handler's error after a message goes out in trailers")
    func streamingError() async throws {
        let stream = try await call("FailAfterOne", body: [])
        #expect(stream.header(":status") == "200")
        #expect(stream.data == [0, 0, 0, 0, 1, 1])
        #expect(stream.trailer("grpc-status") == "10")
        #expect(stream.trailer("grpc-message") == "stopped")
    }
}
