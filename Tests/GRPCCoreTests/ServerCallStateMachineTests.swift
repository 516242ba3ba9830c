import Testing

@testable import GRPCCore

@Suite("Server call state machine")
struct ServerCallStateMachineTests {
    private func started(_ path: String, _ overrides: [String: String?] = [:]) -> (ServerCallStateMachine, ServerCallStateMachine.Action) {
        var machine = ServerCallStateMachine()
        receive(requestHeaders(path: path, overrides), into: &machine)
        let action = machine.receiveEndOfHeaders(router: echoRouter)
        return (machine, action)
    }

    private func data(_ machine: inout ServerCallStateMachine, _ bytes: [UInt8]) -> ServerCallStateMachine.Action {
        bytes.withUnsafeBytes { machine.receiveData($0) }
    }

    private func finishCode(_ action: ServerCallStateMachine.Action) -> (StatusCode, Bool)? {
        guard case .finish(let finish) = action else { return nil }
        return (finish.code, finish.trailersOnly)
    }

    @Test("A unary call dispatches its one message at END_STREAM, then ends with trailers")
    func unaryHappyPath() throws {
        var (machine, action) = started("/test.Echo/Unary", ["grpc-timeout": "1500m", "user-agent": "probe/1"])
        guard case .none = action else { Issue.record("unexpected \(action)"); return }
        let head = try #require(machine.head)
        #expect(head.timeout == .milliseconds(1500))
        #expect(head.userAgent == "probe/1")
        #expect(head.route.fullMethodName == "test.Echo/Unary")
        guard case .none = data(&machine, MessageFramer.frame([1, 2])) else { Issue.record("dispatched early"); return }
        guard case .dispatchUnary(let message) = machine.receiveEndOfStream() else { Issue.record("no dispatch"); return }
        #expect(message == [1, 2])
        let firstStart = machine.startResponse()
        let secondStart = machine.startResponse()
        #expect(firstStart && !secondStart)
        let finish = machine.finish(nil)
        #expect(finish == ServerCallStateMachine.Finish(error: nil, trailersOnly: false))
        let lateFinish = machine.finish(RPCError(code: .deadlineExceeded, message: "late"))
        #expect(lateFinish == nil)
        #expect(machine.isFinished)
    }

    @Test("An error before any response is Trailers-Only")
    func trailersOnlyError() {
        var (machine, _) = started("/test.Echo/Unary")
        let finish = machine.finish(RPCError(code: .notFound, message: ""))
        #expect(finish == ServerCallStateMachine.Finish(error: RPCError(code: .notFound, message: ""), trailersOnly: true))
    }

    @Test(
        "Header validation order: 415, then 405, then path, then encoding, then subtype, then timeout",
        arguments: [
            (["content-type": "text/html", ":method": "GET", ":path": "/x.Y/Z"], "415"),
            ([":method": "GET", ":path": "/x.Y/Z", "grpc-encoding": "gzip"], "405"),
            ([":path": "/x.Y/Z", "grpc-encoding": "gzip"], "12"),
            ([":path": "/test.Echo/Nope"], "12"),
            ([":path": "/test.Echo"], "12"),
            ([":path": "/test.echo/Unary"], "12"),
            (["grpc-encoding": "gzip", "content-type": "application/grpc+json"], "12"),
            (["content-type": "application/grpc+json", "grpc-timeout": "bad"], "13"),
            (["grpc-timeout": "10x"], "13"),
            (["grpc-timeout": "0m"], "4"),
        ] as [([String: String?], String)]
    )
    func validationOrder(overrides: [String: String?], expected: String) {
        let (_, action) = started("/test.Echo/Unary", overrides)
        switch action {
        case .rejectHTTP(let status, let body):
            #expect(String(status) == expected)
            #expect(!body.isEmpty)
        case .finish(let finish):
            #expect(String(finish.code.rawValue) == expected)
            #expect(finish.trailersOnly)
        default:
            Issue.record("unexpected \(action)")
        }
    }

    @Test(
        "Accepted content types",
        arguments: ["application/grpc", "application/grpc+proto", "application/grpc; charset=utf-8", nil] as [String?]
    )
    func acceptedContentTypes(contentType: String?) {
        let (machine, action) = started("/test.Echo/Unary", ["content-type": contentType])
        guard case .none = action else { Issue.record("refused \(String(describing: contentType))"); return }
        #expect(machine.head != nil)
    }

    @Test("identity grpc-encoding is accepted")
    func identityEncoding() {
        let (machine, _) = started("/test.Echo/Unary", ["grpc-encoding": "identity"])
        #expect(machine.head != nil)
    }

    @Test("A header list over the limit is RESOURCE_EXHAUSTED, counted as name + value + 32")
    func headerListLimit() {
        var machine = ServerCallStateMachine(maximumHeaderListSize: 600)
        receive(requestHeaders(path: "/test.Echo/Unary", ["x-pad": String(repeating: "a", count: 100)]), into: &machine)
        guard case .none = machine.receiveEndOfHeaders(router: echoRouter) else { Issue.record("under the limit refused"); return }
        var big = ServerCallStateMachine(maximumHeaderListSize: 600)
        receive(requestHeaders(path: "/test.Echo/Unary", ["x-pad": String(repeating: "a", count: 300)]), into: &big)
        let result = finishCode(big.receiveEndOfHeaders(router: echoRouter))
        #expect(result?.0 == .resourceExhausted)
    }

    @Test("Zero messages on a unary call is UNIMPLEMENTED")
    func zeroMessages() {
        var (machine, _) = started("/test.Echo/Unary")
        #expect(finishCode(machine.receiveEndOfStream())?.0 == .unimplemented)
    }

    @Test("A second message on a unary call is UNIMPLEMENTED at once")
    func twoMessages() {
        var (machine, _) = started("/test.Echo/Unary")
        let action = data(&machine, MessageFramer.frame([1]) + MessageFramer.frame([2]))
        #expect(finishCode(action)?.0 == .unimplemented)
        guard case .none = machine.receiveEndOfStream() else { Issue.record("dispatched after failing"); return }
    }

    @Test("A stream ending inside a message is INTERNAL")
    func truncated() {
        var (machine, _) = started("/test.Echo/Unary")
        _ = data(&machine, [0, 0, 0, 0, 5, 1])
        #expect(finishCode(machine.receiveEndOfStream())?.0 == .internal)
    }

    @Test("A method's own request limit applies below the server's, with grpc-go's message")
    func methodLimit() {
        var (small, _) = started("/test.Echo/Small")
        guard case .finish(let refused) = data(&small, [0, 0, 0, 0, 17] + [UInt8](repeating: 1, count: 17)) else {
            Issue.record("17 bytes accepted")
            return
        }
        #expect(refused.error == RPCError(code: .resourceExhausted, message: "received message larger than max (17 vs. 16)"))
        var (fits, _) = started("/test.Echo/Small")
        guard case .none = data(&fits, [0, 0, 0, 0, 16] + [UInt8](repeating: 1, count: 16)) else { Issue.record("16 bytes refused"); return }
        var (unlimited, _) = started("/test.Echo/Unary")
        guard case .none = data(&unlimited, [0, 0, 0, 0, 17] + [UInt8](repeating: 1, count: 17)) else {
            Issue.record("other methods limited"); return
        }
    }

    @Test("An oversized message is RESOURCE_EXHAUSTED before the client finishes sending")
    func oversized() {
        var (machine, _) = started("/test.Echo/Unary")
        #expect(finishCode(data(&machine, [0, 0x7F, 0, 0, 0]))?.0 == .resourceExhausted)
        #expect(!machine.hasRequestEnded || machine.isFinished)
    }

    @Test("Server-streaming dispatches at END_STREAM")
    func serverStreaming() {
        var (machine, _) = started("/test.Echo/Stream")
        _ = data(&machine, MessageFramer.frame([4]))
        guard case .dispatchServerStreaming(let message) = machine.receiveEndOfStream() else {
            Issue.record("no dispatch"); return
        }
        #expect(message == [4])
    }

    @Test("Bidirectional messages dispatch as they arrive; half-close finishes after them")
    func bidirectional() {
        var (machine, _) = started("/test.Echo/Bidi")
        guard case .dispatchMessages(let first) = data(&machine, MessageFramer.frame([1]) + [0, 0]) else {
            Issue.record("first not dispatched"); return
        }
        #expect(first == [[1]])
        guard case .dispatchMessages(let second) = data(&machine, [0, 0, 1, 2]) else {
            Issue.record("second not dispatched"); return
        }
        #expect(second == [[2]])
        guard case .finishAfterResponses = machine.receiveEndOfStream() else { Issue.record("no finish"); return }
        let started = machine.startResponse()
        let finish = machine.finish(nil)
        #expect(started)
        #expect(finish?.trailersOnly == false)
    }

    @Test("Data after the call ended is ignored")
    func dataAfterFinish() {
        var (machine, _) = started("/test.Echo/Unary")
        _ = machine.finish(RPCError(code: .deadlineExceeded, message: "late"))
        guard case .none = data(&machine, MessageFramer.frame([1])) else { Issue.record("acted after finish"); return }
    }

    @Test("Buffered request bytes count until dispatch: the transport holds their window until then")
    func bufferedRequestBytes() {
        var (unary, _) = started("/test.Echo/Unary")
        _ = data(&unary, [0, 0, 0, 0, 3, 1])
        #expect(unary.bufferedRequestBytes == 6)
        _ = data(&unary, [2, 3])
        #expect(unary.bufferedRequestBytes == 3, "a whole message waits for END_STREAM")
        _ = unary.receiveEndOfStream()
        #expect(unary.bufferedRequestBytes == 0)
        var (bidi, _) = started("/test.Echo/Bidi")
        _ = data(&bidi, MessageFramer.frame([1]) + [0, 0])
        #expect(bidi.bufferedRequestBytes == 2, "dispatched messages are released, a partial prefix is not")
    }
}
