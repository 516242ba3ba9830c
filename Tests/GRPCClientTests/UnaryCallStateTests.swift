import GRPCCore
import Testing

@testable import GRPCClient

@Suite("Unary response interpretation")
struct UnaryCallStateTests {
    private func state(headers: [(String, String)], data: [UInt8] = [], trailers: [(String, String)] = []) -> UnaryCallState {
        var state = UnaryCallState(maximumMessageLength: 1024)
        for (name, value) in headers { state.receiveHeader(name: name, value: value, isTrailer: false) }
        _ = data.withUnsafeBytes { state.receiveData($0) }
        for (name, value) in trailers { state.receiveHeader(name: name, value: value, isTrailer: true) }
        return state
    }

    private let ok = [(":status", "200"), ("content-type", "application/grpc")]

    @Test("one message and grpc-status 0 in trailers is success")
    func success() {
        let result = state(headers: ok, data: MessageFramer.frame([1, 2]), trailers: [("grpc-status", "0")]).outcome(resetCode: 0)
        #expect(result == .success([1, 2]))
    }

    @Test("Trailers-Only carries the status in the headers")
    func trailersOnly() {
        let result = state(headers: ok + [("grpc-status", "5"), ("grpc-message", "not%20found")]).outcome(resetCode: 0)
        #expect(result == .failure(RPCError(code: .notFound, message: "not found")))
    }

    @Test(
        "a non-200 HTTP status maps as gRPC specifies",
        arguments: [
            ("400", StatusCode.internal), ("401", .unauthenticated), ("403", .permissionDenied), ("404", .unimplemented),
            ("429", .unavailable), ("502", .unavailable), ("503", .unavailable), ("504", .unavailable), ("415", .unknown),
        ])
    func httpStatus(status: String, code: StatusCode) {
        let result = state(headers: [(":status", status)]).outcome(resetCode: 0)
        #expect(result == .failure(RPCError(code: code, message: "unexpected HTTP status \(status)")))
    }

    @Test("missing grpc-status, several messages, a truncated message and a bad status are errors")
    func malformed() {
        func code(_ result: Result<[UInt8], RPCError>) -> StatusCode? {
            if case .failure(let error) = result { return error.code }
            return nil
        }
        #expect(code(state(headers: ok, data: MessageFramer.frame([1])).outcome(resetCode: 0)) == .internal)
        let two = MessageFramer.frame([1]) + MessageFramer.frame([2])
        #expect(code(state(headers: ok, data: two, trailers: [("grpc-status", "0")]).outcome(resetCode: 0)) == .internal)
        let truncated = Array(MessageFramer.frame([1, 2, 3]).dropLast())
        #expect(code(state(headers: ok, data: truncated, trailers: [("grpc-status", "0")]).outcome(resetCode: 0)) == .internal)
        #expect(code(state(headers: ok, trailers: [("grpc-status", "0")]).outcome(resetCode: 0)) == .internal)
        #expect(code(state(headers: ok, trailers: [("grpc-status", "x")]).outcome(resetCode: 0)) == .unknown)
        #expect(
            code(
                state(
                    headers: [(":status", "200"), ("content-type", "text/html")], data: MessageFramer.frame([1]),
                    trailers: [("grpc-status", "0")]
                ).outcome(resetCode: 0)) == .internal)
    }

    @Test(
        "a reset stream without status maps its HTTP/2 error code",
        arguments: [
            (UInt32(7), StatusCode.unavailable), (8, .cancelled), (11, .resourceExhausted), (2, .internal),
        ])
    func reset(resetCode: UInt32, code: StatusCode) {
        let result = state(headers: []).outcome(resetCode: resetCode)
        if case .failure(let error) = result { #expect(error.code == code) } else { Issue.record("expected a failure") }
    }

    @Test("an oversized or compressed message is refused while it arrives")
    func refusedData() {
        var oversized = UnaryCallState(maximumMessageLength: 4)
        #expect(!MessageFramer.frame([1, 2, 3, 4, 5]).withUnsafeBytes { oversized.receiveData($0) })
        if case .failure(let error) = oversized.outcome(resetCode: 2) { #expect(error.code == .resourceExhausted) }
        var compressed = UnaryCallState(maximumMessageLength: 4)
        #expect(![1, 0, 0, 0, 1, 9].withUnsafeBytes { compressed.receiveData($0) })
        if case .failure(let error) = compressed.outcome(resetCode: 2) { #expect(error.code == .internal) }
    }
}
