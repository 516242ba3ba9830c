/// The shape of a method's request and response streams.
public enum RPCKind: Sendable, Hashable {
    /// One request, one response.
    case unary
    /// One request, a stream of responses (Watch, StreamIsActive).
    case serverStreaming
    /// A stream each way, handled message by message (reflection).
    case bidirectionalStreaming
}
