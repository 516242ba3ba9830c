/// What the transport learned from a request's HEADERS that a handler may need.
public struct RequestHead: Sendable {
    /// The matched route.
    public let route: RPCRoute
    /// The parsed `grpc-timeout`, or nil when the client set no deadline.
    public let timeout: Duration?
    /// The client's `user-agent`, for logs.
    public let userAgent: String?
}
