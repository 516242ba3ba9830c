import GRPCCore
import KafkaLag
import Testing
@testable import KafkaScaler

@Suite("Lag failures map to gRPC statuses (DESIGN.md §4)")
struct ErrorMappingTests {
    @Test(
        "each code has its status",
        arguments: [
            (KafkaLagError.Code.invalidMetadata, StatusCode.invalidArgument),
            (.unavailable, .unavailable),
            (.timedOut, .unavailable),
            (.unauthenticated, .unauthenticated),
            (.permissionDenied, .permissionDenied),
            (.failedPrecondition, .failedPrecondition),
            (.internalError, .internal),
        ])
    func mapping(code: KafkaLagError.Code, status: StatusCode) {
        let error = RPCError(KafkaLagError(code, "message"), deadline: nil)
        #expect(error.code == status)
        #expect(error.message == "message")
    }

    @Test("a Kafka timeout after the caller's own deadline is DEADLINE_EXCEEDED")
    func deadline() {
        let past = ContinuousClock.now.advanced(by: .milliseconds(-1))
        #expect(RPCError(KafkaLagError(.timedOut, "slow"), deadline: past).code == .deadlineExceeded)
        let future = ContinuousClock.now.advanced(by: .seconds(10))
        #expect(RPCError(KafkaLagError(.timedOut, "slow"), deadline: future).code == .unavailable)
    }
}

@Suite("Push schedule: stream checks align on interval multiples")
struct PushScheduleTests {
    @Test("two streams that start apart check at the same instant")
    func aligned() {
        let now = ContinuousClock.now
        let first = PushSchedule.nextCheck(after: now, every: .seconds(5))
        let second = PushSchedule.nextCheck(after: now.advanced(by: .milliseconds(1300)), every: .seconds(5))
        #expect(first > now && first <= now.advanced(by: .seconds(5)))
        #expect(second == first || second == first.advanced(by: .seconds(5)))
        #expect(PushSchedule.nextCheck(after: first, every: .seconds(5)) == first.advanced(by: .seconds(5)))
    }
}
