@testable import GRPCCore

/// Raw bytes in and out, so call tests control the exact request bytes.
let rawCodec = MessageCodec<[UInt8]>(decode: { Array($0) }, encode: { $0 })

/// A service with one method of each kind, echoing what it receives.
struct EchoService: RPCService {
    var serviceName: String { "test.Echo" }
    var methods: [RPCMethod] {
        [
            .unary("Unary", request: rawCodec, response: rawCodec) { request, _ in .response(request) },
            .serverStreaming("Stream", request: rawCodec, response: rawCodec) { request, _, writer in
                writer.send(request)
            },
            .bidirectional("Bidi", request: rawCodec, response: rawCodec) { request, _ in [request] },
            RPCMethod.unary("Small", request: rawCodec, response: rawCodec) { request, _ in .response(request) }
                .limitingRequests(to: 16),
        ]
    }
}

/// A router over EchoService alone.
let echoRouter = RPCRouter(services: [EchoService()])

/// Feeds a header block into a call state machine.
func receive(_ headers: [(String, String)], into machine: inout ServerCallStateMachine) {
    for (name, value) in headers {
        Array(name.utf8).withUnsafeBytes { name in
            Array(value.utf8).withUnsafeBytes { value in
                machine.receiveHeader(name: name, value: value)
            }
        }
    }
}

/// Valid gRPC request headers for `path`, with overrides (nil removes a header).
func requestHeaders(path: String, _ overrides: [String: String?] = [:]) -> [(String, String)] {
    var headers: [(String, String?)] = [
        (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
        ("content-type", "application/grpc"), ("te", "trailers"),
    ]
    for (name, value) in overrides {
        if let index = headers.firstIndex(where: { $0.0 == name }) {
            headers[index].1 = value
        } else {
            headers.append((name, value))
        }
    }
    return headers.compactMap { name, value in value.map { (name, $0) } }
}

/// Decodes `bytes` with `codec` (typed throws do not cross `withUnsafeBytes` directly).
func decode<Message>(_ codec: MessageCodec<Message>, _ bytes: [UInt8]) throws -> Message {
    try bytes.withUnsafeBytes { buffer in
        Result { () throws(RPCError) in try codec.decode(buffer) }
    }.get()
}
