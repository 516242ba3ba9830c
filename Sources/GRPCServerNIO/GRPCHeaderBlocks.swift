import GRPCCore

/// The header blocks a gRPC server sends.
enum GRPCHeaderBlocks {
    /// Response HEADERS of a call that will send messages.
    static let response = HeaderBlock([
        (":status", "200"), ("content-type", "application/grpc"), ("grpc-accept-encoding", "identity"),
    ])
    /// Trailers of a successful call.
    static let okTrailers = HeaderBlock([("grpc-status", "0")])

    /// Trailers (or, with `trailersOnly`, a complete Trailers-Only response) for a status.
    static func status(code: Int, message: String, trailersOnly: Bool) -> HeaderBlock {
        var headers: [(name: String, value: String)] = []
        if trailersOnly {
            headers += [(":status", "200"), ("content-type", "application/grpc"), ("grpc-accept-encoding", "identity")]
        }
        headers.append(("grpc-status", String(code)))
        if !message.isEmpty {
            headers.append(("grpc-message", StatusMessageCoding.encode(message)))
        }
        return HeaderBlock(headers)
    }

    /// A plain HTTP answer to a non-gRPC request (415, 405).
    static func plainHTTP(status: Int, bodyLength: Int) -> HeaderBlock {
        HeaderBlock([
            (":status", String(status)), ("content-type", "text/plain; charset=utf-8"),
            ("content-length", String(bodyLength)),
        ])
    }
}
