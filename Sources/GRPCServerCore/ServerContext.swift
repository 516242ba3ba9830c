public import Logging
import Synchronization

/// What a handler knows about its call besides the request message.
public struct ServerContext: Sendable {
    /// The method, as `package.Service/Method`.
    public let method: String
    /// When the client stops waiting (from `grpc-timeout`), or nil for no deadline. Handlers
    /// bound their own work (e.g. a Kafka round trip) by it.
    public let deadline: ContinuousClock.Instant?
    /// The client's address, for logs.
    public let peer: String
    /// A logger carrying the call's metadata (`grpc.method`, `grpc.peer`).
    public let logger: Logger
    /// Signals that the client cancelled, the deadline passed or the server cut the call.
    public let cancellation: CallCancellation

    /// Makes a context; the transport builds one per call.
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
        self.logger = logger
        self.cancellation = cancellation
    }
}

/// A one-way flag raised when a call ends before its handler finished: the client reset the
/// stream, the deadline passed, or shutdown cut a long-lived stream. Async handlers are also
/// cancelled as tasks; synchronous code polls `isCancelled`.
public final class CallCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    /// Makes a flag that is not raised.
    public init() {}

    /// True once the call was cancelled.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Raises the flag (the transport does this).
    public func cancel() { cancelled.store(true, ordering: .releasing) }
}
