import GRPCCore
import GRPCTestSupport
import Testing
import TimeUnits

/// Messages as raw bytes, so tests see exactly what travelled.
let rawCodec = MessageCodec<[UInt8]>(decode: { Array($0) }, encode: { $0 })

/// `test.Probe`: methods that answer in each way a gRPC server can.
struct ProbeService: RPCService {
    var serviceName: String { "test.Probe" }

    var methods: [RPCMethod] {
        [
            .unary("Echo", request: rawCodec, response: rawCodec) { request, _ in .response(request) },
            .unary("Fail", request: rawCodec, response: rawCodec) { _, _ in
                .failure(RPCError(code: .failedPrecondition, message: "lag is 100% ≥ threshold\nsecond line"))
            },
            .unary("Slow", request: rawCodec, response: rawCodec) { request, _ in
                .async {
                    try await Task.sleep(for: .seconds(10))
                    return request
                }
            },
            .unary("Big", request: rawCodec, response: rawCodec) { request, _ in
                .response([UInt8](repeating: 7, count: Int(request.first ?? 0) * 1024))
            },
            // Answers the milliseconds left until the call's deadline, as decimal text.
            .unary("Deadline", request: rawCodec, response: rawCodec) { _, context in
                guard let deadline = context.deadline else { return .response(Array("none".utf8)) }
                let left = ContinuousClock.now.duration(to: deadline)
                return .response(Array("\(left.roundedUpMilliseconds)".utf8))
            },
        ]
    }
}

/// A real GRPCServer with the probe service, shut down when `body` ends.
func withProbeServer(_ body: (_ port: Int, _ health: HealthStatusBoard) async throws -> Void) async throws {
    try await withTestGRPCServer(goAwayDelay: .milliseconds(50), shutdownGrace: .seconds(2), register: { $0.register(ProbeService()) }) {
        port, health, _, _ in try await body(port, health)
    }
}
