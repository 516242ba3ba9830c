public import Logging

/// What a handler knows about its call besides the request message.
public struct ServerContext: Sendable {
    /// The method, as `package.Service/Method`.
    public let method: String
    /// When the client stops waiting (from `grpc-timeout`), or nil for no deadline. Handlers
    /// bound their own work (e.g. a Kafka round trip) by it.
    public let deadline: ContinuousClock.Instant?
    /// The client's address, for logs.
    public let peer: String
    /// A logger carrying the call's metadata (`grpc.method` plus the connection's, such as
    /// `grpc.peer`); built on use so that calls which never log pay nothing.
    public var logger: Logger {
        var logger = connectionLogger
        logger[metadataKey: "grpc.method"] = .string(method)
        return logger
    }

    private let connectionLogger: Logger
    /// Signals that the client cancelled, the deadline passed or the server cut the call.
    public let cancellation: CallCancellation

    /// Makes a context; the transport builds one per call from its connection's logger.
    public init(
        method: String,
        deadline: ContinuousClock.Instant?,
        peer: String,
        logger: Logger,
        cancellation: CallCancellation
    ) {
        self.method = method
        self.deadline = deadline
        self.peer = peer
        self.connectionLogger = logger
        self.cancellation = cancellation
    }
}
