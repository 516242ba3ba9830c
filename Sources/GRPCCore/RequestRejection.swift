/// Why a request is refused before any handler runs.
public enum RequestRejection: Error, Hashable, Sendable {
    /// Not a gRPC request at all: a plain HTTP answer (415, 405) with a short text body.
    case http(status: Int, body: String)
    /// A gRPC request that fails with this status, Trailers-Only.
    case status(RPCError)
}
