import GRPCCore
import NIOCore

/// Drives one ``HTTP2ClientSession`` on its channel's event loop: feeds it what the
/// server sends, writes what it produces, completes each call's promise when its
/// stream closes, and fails it with DEADLINE_EXCEEDED when its deadline passes first.
final class GRPCClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var streamID: Int32
        var promise: EventLoopPromise<Result<[UInt8], RPCError>>
        var deadline: Scheduled<Void>?
    }

    private let session: HTTP2ClientSession
    private var context: ChannelHandlerContext?
    private var pending: [UInt64: Pending] = [:]
    private var callIDs: [Int32: UInt64] = [:]
    private var closedReason: RPCError?

    init(maximumMessageLength: Int) {
        session = HTTP2ClientSession(maximumMessageLength: maximumMessageLength)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try session.receive(bytes) }
        } catch {
            fail(RPCError(code: .internal, message: "HTTP/2 protocol error from the server: \(error)"))
            return
        }
        flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(closedReason ?? RPCError(code: .unavailable, message: "connection closed by the server"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RPCError(code: .unavailable, message: "connection error: \(error)"))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(closedReason ?? RPCError(code: .unavailable, message: "connection closed"))
        self.context = nil
    }

    /// Starts a call; `promise` receives its result (it never fails).
    func start(
        callID: UInt64, path: String, authority: String, message: [UInt8], timeout: Duration,
        promise: EventLoopPromise<Result<[UInt8], RPCError>>
    ) {
        if let closedReason {
            promise.succeed(.failure(closedReason))
            return
        }
        guard let context else {
            promise.succeed(.failure(RPCError(code: .unavailable, message: "connection closed")))
            return
        }
        switch session.startCall(path: path, authority: authority, timeout: timeout, message: message) {
        case .failure(let error):
            promise.succeed(.failure(error))
        case .success(let streamID):
            let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
                finish(callID, with: .failure(RPCError(code: .deadlineExceeded, message: "deadline of \(timeout) exceeded")), reset: true)
            }
            pending[callID] = Pending(streamID: streamID, promise: promise, deadline: deadline)
            callIDs[streamID] = callID
            flush()
        }
    }

    /// Cancels a call whose caller gave up (task cancellation). Always runs after the
    /// call's `start` (both are queued on the event loop in that order); a call that
    /// already finished is left alone.
    func cancel(callID: UInt64) {
        finish(callID, with: .failure(RPCError(code: .cancelled, message: "call cancelled by the caller")), reset: true)
    }

    /// Sends GOAWAY and closes the connection once it is written.
    func close() {
        guard let context else { return }
        closedReason = closedReason ?? RPCError(code: .unavailable, message: "connection closed by the client")
        session.terminate()
        flush()
        context.close(promise: nil)
    }

    private func finish(_ callID: UInt64, with result: Result<[UInt8], RPCError>, reset: Bool) {
        guard let call = pending.removeValue(forKey: callID) else { return }
        callIDs[call.streamID] = nil
        call.deadline?.cancel()
        if reset {
            session.cancel(call.streamID)
            flush()
        }
        call.promise.succeed(result)
    }

    /// Writes what the session produced and completes the calls that finished.
    private func flush() {
        guard let context else { return }
        let output: [UInt8]
        do {
            output = try session.takeOutput()
        } catch {
            fail(RPCError(code: .internal, message: "HTTP/2 session failed: \(error)"))
            return
        }
        if !output.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output)), promise: nil)
        }
        for completion in session.takeCompletions() {
            guard let callID = callIDs[completion.streamID] else { continue }
            finish(callID, with: completion.result, reset: false)
        }
        if !session.isActive, closedReason == nil {
            fail(RPCError(code: .unavailable, message: "the server closed the HTTP/2 session"))
        }
    }

    /// Ends the connection and every call on it with `error`.
    private func fail(_ error: RPCError) {
        if closedReason == nil { closedReason = error }
        failAll(error)
        context?.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        if closedReason == nil { closedReason = error }
        let calls = pending
        pending.removeAll()
        callIDs.removeAll()
        for call in calls.values {
            call.deadline?.cancel()
            call.promise.succeed(.failure(error))
        }
    }
}
