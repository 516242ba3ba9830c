/// How a unary handler answers: at once (a cache hit answered on the event loop with no
/// task), with an error, or with async work whose result the transport carries back to
/// the connection's event loop.
public enum UnaryOutcome<Response: Sendable>: Sendable {
    /// The response, ready now.
    case response(Response)
    /// The call fails with this status; Trailers-Only since nothing was sent.
    case failure(RPCError)
    /// Work to run in a task (cancelled if the call ends first); a thrown non-`RPCError` is UNKNOWN.
    case async(@Sendable () async throws -> Response)
}
