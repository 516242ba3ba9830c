import GRPCCore
import NIOCore

/// The transport's state of one HTTP/2 stream carrying a gRPC call: the protocol state
/// machine plus what the data provider still has to send. Confined to the connection's
/// event loop.
final class ServerCall {
    /// How the response body ends once `outbound` is drained.
    enum BodyEnd {
        /// gRPC trailers (EOF + NO_END_STREAM, then a trailers HEADERS frame).
        case trailers(HeaderBlock)
        /// END_STREAM on the last DATA frame (plain HTTP answers).
        case endStream
    }

    let streamID: Int32
    var machine: ServerCallStateMachine
    /// When the request HEADERS began (for the duration metric).
    let startNanoseconds: UInt64
    /// Raised when the call ends before its handler did.
    let cancellation = CallCancellation()
    /// The deadline from `grpc-timeout`, once the headers were accepted.
    var deadline: ContinuousClock.Instant?
    /// The handler's task (async unary work, server-streaming handlers).
    var task: Task<Void, Never>?
    /// The `grpc-timeout` timer.
    var deadlineTimer: Scheduled<Void>?
    /// True once nghttp2 closed the stream; nothing may be submitted for it any more.
    var isClosed = false

    /// Request bytes received and not yet given back to the stream's window.
    private var streamBytes = 0
    /// Request bytes received whose share of the connection window is still held.
    private var heldBytes = 0
    private var outbound: [UInt8] = []
    private var outboundIndex = 0
    /// The newest server-streaming message waiting behind unsent bytes (older ones are dropped).
    private var latest: [UInt8]?
    private var bodyEnd: BodyEnd?
    /// True while the data provider returned DEFERRED and needs `resume_data`.
    private(set) var isDeferred = false

    init(streamID: Int32, machine: ServerCallStateMachine, startNanoseconds: UInt64) {
        self.streamID = streamID
        self.machine = machine
        self.startNanoseconds = startNanoseconds
    }

    /// Records received request bytes; true when the call was not yet waiting for its
    /// window accounting (so the connection lists it once).
    func hold(_ count: Int) -> Bool {
        let first = streamBytes == 0
        streamBytes += count
        heldBytes += count
        return first && count > 0
    }

    /// The bytes to give back to the stream window now.
    func takeStreamBytes() -> Int {
        defer { streamBytes = 0 }
        return streamBytes
    }

    /// Releases the connection-window bytes beyond the `held` ones the call still buffers.
    func releaseHeldBytes(keeping held: Int) -> Int {
        let released = max(heldBytes - held, 0)
        heldBytes -= released
        return released
    }

    /// Response bytes waiting for the client's window.
    var queuedBytes: Int { outbound.count - outboundIndex + (latest?.count ?? 0) }

    /// Forgets every queued response byte and the ending (the stream is being reset).
    func dropQueued() {
        outbound = []
        outboundIndex = 0
        latest = nil
        bodyEnd = nil
    }

    /// Queues framed messages that must all be sent (unary and bidirectional responses).
    func append(messages: [[UInt8]]) {
        compactIfDrained()
        for message in messages { MessageFramer.appendFrame(of: message, to: &outbound) }
    }

    /// Queues unframed bytes (the body of a plain HTTP answer).
    func append(raw bytes: [UInt8]) {
        compactIfDrained()
        outbound += bytes
    }

    /// Queues a server-streaming message, replacing an older one that is still unsent.
    func appendCoalescing(message: [UInt8]) {
        compactIfDrained()
        if outbound.isEmpty {
            MessageFramer.appendFrame(of: message, to: &outbound)
        } else {
            latest = MessageFramer.frame(message)
        }
    }

    /// Sets the ending that follows the queued bytes.
    func end(with bodyEnd: BodyEnd) {
        self.bodyEnd = bodyEnd
    }

    /// Marks the provider as woken; true if nghttp2 must be told with `resume_data`.
    func takeDeferred() -> Bool {
        defer { isDeferred = false }
        return isDeferred
    }

    /// Stops the handler, its timer and its task.
    func cancelHandler() {
        cancellation.cancel()
        task?.cancel()
        task = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
    }

    /// The data provider's read: copy what is queued, then end or defer.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ServerSession.BodyRead {
        compactIfDrained()
        let count = min(buffer.count, outbound.count - outboundIndex)
        if count > 0 {
            outbound.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + outboundIndex, byteCount: count)
            }
            outboundIndex += count
        }
        guard outboundIndex == outbound.count, latest == nil else { return .data(count: count) }
        switch bodyEnd {
        case .trailers(let trailers):
            bodyEnd = nil
            return .dataThenTrailers(count: count, trailers: trailers)
        case .endStream:
            bodyEnd = nil
            return .dataThenEnd(count: count)
        case nil:
            if count > 0 { return .data(count: count) }
            isDeferred = true
            return .deferred
        }
    }

    private func compactIfDrained() {
        guard outboundIndex == outbound.count else { return }
        outboundIndex = 0
        if let latest {
            outbound = latest
            self.latest = nil
        } else if !outbound.isEmpty {
            outbound.removeAll(keepingCapacity: true)
        }
    }
}
