import Synchronization

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
