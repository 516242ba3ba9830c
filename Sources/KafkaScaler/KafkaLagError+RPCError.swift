import GRPCCore
import KafkaLag

extension RPCError {
    /// The gRPC status of a lag failure (DESIGN.md §4). A Kafka timeout is
    /// DEADLINE_EXCEEDED when the caller's own deadline ran out, else UNAVAILABLE.
    init(_ error: KafkaLagError, deadline: ContinuousClock.Instant?) {
        let code: StatusCode
        switch error.code {
        case .invalidMetadata: code = .invalidArgument
        case .unauthenticated: code = .unauthenticated
        case .permissionDenied: code = .permissionDenied
        case .failedPrecondition: code = .failedPrecondition
        case .timedOut: code = deadline.map { ContinuousClock.now >= $0 } == true ? .deadlineExceeded : .unavailable
        case .deadlineExceeded: code = .deadlineExceeded
        case .resourceExhausted: code = .resourceExhausted
        case .unavailable: code = .unavailable
        default: code = .internal
        }
        self.init(code: code, message: error.message)
    }
}
