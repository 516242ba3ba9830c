import GRPCCore
import Logging
import NIOCore
import TimeUnits

/// Drives one connection: bytes from the socket go into the nghttp2 session, gRPC calls run
/// against the router, and everything nghttp2 produces in one read batch goes out as one
/// write and one flush. Runs entirely on the channel's event loop; synchronous unary
/// handlers are answered without any task.
///
/// Every resource a client can grow is bounded here: request bytes by the connection window
/// (given back only as requests are dispatched), response bytes by channel writability (no
/// reading and no sending while the peer does not read) and a per-stream queue cap, control
/// frames by ``ControlFramePolicy``, and time by the handshake and idle timers.
final class GRPCConnectionHandler: ChannelInboundHandler, HTTP2ServerSessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Event {
        /// Headers were accepted: start the deadline timer.
        case started
        /// The state machine asked for this.
        case action(ServerCallStateMachine.Action)
    }

    private enum ShutdownState {
        case running
        case noticeSent
        case goAwaySent
    }

    private let router: RPCRouter
    private let settings: GRPCServerConfiguration.HTTP2
    private let handshakeTimeout: Duration
    private let idleTimeout: Duration
    private let connections: ConnectionTracker
    private var logger: Logger
    private var session: HTTP2ServerSession?
    private var context: ChannelHandlerContext?
    private var loopBound: NIOLoopBound<GRPCConnectionHandler>?
    private var calls: [Int32: ServerCall] = [:]
    private var events: [(ServerCall, Event)] = []
    private var hasUnflushedWrites = false
    private var isReading = false
    private var isClosing = false
    private var shutdownState = ShutdownState.running
    private var peer = "unknown"
    private var controlFrames: ControlFramePolicy
    /// Why the connection is being ended for abuse (set inside a callback, acted on after it).
    private var violation: ControlFramePolicy.Violation?
    /// True once the client's preface and first SETTINGS arrived.
    private var isHandshakeComplete = false
    /// Since when no stream is open (uptime nanoseconds), nil while one is.
    private var idleSince: UInt64?
    private var idleTimer: Scheduled<Void>?
    private var handshakeTimer: Scheduled<Void>?
    /// Calls that received DATA since the last window accounting.
    private var receivedData: [ServerCall] = []
    /// Connection-window bytes released (requests dispatched or dropped) and not yet given back.
    private var releasedBytes = 0

    init(router: RPCRouter, configuration: GRPCServerConfiguration, connections: ConnectionTracker, logger: Logger) {
        self.router = router
        settings = configuration.http2
        handshakeTimeout = configuration.handshakeTimeout
        idleTimeout = configuration.idleTimeout
        self.connections = connections
        self.logger = logger
        controlFrames = ControlFramePolicy(limits: configuration.http2.controlFrames, now: NIODeadline.now().uptimeNanoseconds)
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        peer = context.channel.remoteAddress?.description ?? "unknown"
        logger[metadataKey: "grpc.peer"] = "\(peer)"
        session = HTTP2ServerSession(delegate: self, settings: settings)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        loopBound = bound
        handshakeTimer = context.eventLoop.scheduleTask(in: .nanoseconds(handshakeTimeout.nanoseconds)) {
            bound.value.handshakeTimedOut()
        }
        idleSince = NIODeadline.now().uptimeNanoseconds
        scheduleIdleCheck(in: idleTimeout)
        if let goAwayDelay = connections.add(ObjectIdentifier(self), bound) {
            beginGracefulShutdown(goAwayDelay: goAwayDelay)
        }
        flushNow()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !isClosing else { return }
        isReading = true
        do {
            try session.feed(unwrapInboundIn(data))
        } catch {
            if let abuse = violation?.rawValue ?? (error.isContinuationFlood ? "too_many_continuations" : nil) {
                logger.warning("closing an abusive HTTP/2 connection", metadata: ["h2.violation": "\(abuse)"])
                session.submitFinalGoAway(errorCode: Self.enhanceYourCalm, debug: abuse)
            } else {
                logger.debug(
                    "closing HTTP/2 connection after a session error",
                    metadata: ["h2.error": "\(error)", "h2.bad_preface": "\(error.isBadClientMagic)"]
                )
            }
            processEvents()
            writeOutput()
            close()
            return
        }
        processEvents()
        writeOutput()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        flushWrites()
        closeIfFinished()
        context.fireChannelReadComplete()
    }

    /// A peer that stopped reading made the channel unwritable: stop reading its requests
    /// (so it cannot queue answers) until it reads again, then send what waited.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        context.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
        if writable {
            if !isReading { context.read() }
            flushNow()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        idleTimer?.cancel()
        for call in calls.values {
            call.isClosed = true
            if !call.machine.isFinished { record(call, code: .cancelled) }
            call.cancelHandler()
        }
        calls.removeAll()
        events.removeAll()
        session = nil
        loopBound = nil
        self.context = nil
        connections.remove(ObjectIdentifier(self))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        close()
    }

    // MARK: - Shutdown (called through ConnectionTracker)

    /// First GOAWAY now, the final one after `goAwayDelay`; long-lived streams then end UNAVAILABLE.
    func beginGracefulShutdown(goAwayDelay: Duration) {
        guard shutdownState == .running, let session, let context else { return }
        shutdownState = .noticeSent
        session.submitShutdownNotice()
        flushNow()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(goAwayDelay.nanoseconds)) {
            bound.value.sendFinalGoAway()
        }
    }

    /// Closes the connection at once, without waiting for unsent bytes (the shutdown grace
    /// ran out, or the server was cancelled; the peer may not be reading at all).
    func forceClose() {
        isClosing = true
        context?.close(promise: nil)
    }

    private func handshakeTimedOut() {
        handshakeTimer = nil
        guard !isHandshakeComplete else { return }
        logger.debug("closing a connection that sent no HTTP/2 preface in time", metadata: ["h2.handshake_timeout": "\(handshakeTimeout)"])
        forceClose()
    }

    /// Checks for idleness at most once per timeout, so busy connections pay no timer per call.
    private func scheduleIdleCheck(in delay: Duration) {
        guard let context, let loopBound else { return }
        let bound = loopBound
        idleTimer = context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
            bound.value.checkIdle()
        }
    }

    private func checkIdle() {
        guard let session, shutdownState == .running else { return }
        guard let idleSince else { return scheduleIdleCheck(in: idleTimeout) }
        let idle = NIODeadline.now().uptimeNanoseconds &- idleSince
        let timeout = UInt64(idleTimeout.nanoseconds)
        guard idle >= timeout else { return scheduleIdleCheck(in: .nanoseconds(Int64(timeout - idle))) }
        logger.debug("closing an idle connection", metadata: ["h2.idle_timeout": "\(idleTimeout)"])
        shutdownState = .goAwaySent
        session.submitFinalGoAway(debug: "idle")
        flushNow()
    }

    private func sendFinalGoAway() {
        guard shutdownState == .noticeSent, let session else { return }
        shutdownState = .goAwaySent
        session.submitFinalGoAway()
        let shuttingDown = RPCError(code: .unavailable, message: "server shutting down")
        for call in calls.values.sorted(by: { $0.streamID < $1.streamID })
        where call.machine.head?.route.method.kind == .serverStreaming {
            finish(call, shuttingDown)
        }
        flushNow()
    }

    // MARK: - Output

    /// Gives back the window of dispatched requests, then moves everything nghttp2 wants
    /// to send into one channel write (not flushed). While the peer does not read, output
    /// stays in nghttp2 and in the calls (bounded per stream).
    private func writeOutput() {
        guard let session, let context else { return }
        returnWindow(session)
        guard context.channel.isWritable || isClosing else { return }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        let healthy = session.drain(into: &buffer)
        if buffer.readableBytes > 0 {
            context.write(wrapOutboundOut(buffer), promise: nil)
            hasUnflushedWrites = true
        }
        if !healthy { close() }
    }

    private func flushWrites() {
        guard hasUnflushedWrites, let context else { return }
        hasUnflushedWrites = false
        context.flush()
    }

    /// Sends what is pending now (work completed outside a read batch); inside a read batch
    /// the flush waits for channelReadComplete.
    private func flushNow() {
        writeOutput()
        guard !isReading else { return }
        flushWrites()
        closeIfFinished()
    }

    private func closeIfFinished() {
        guard let session, !session.isActive else { return }
        close()
    }

    /// Request bytes go back to the client's windows: a stream's at once (its message limit
    /// bounds it), the connection's only for bytes no call holds any more.
    private func returnWindow(_ session: HTTP2ServerSession) {
        for call in receivedData {
            session.consumeStream(call.streamID, call.takeStreamBytes())
            let held = call.isClosed || call.machine.isFinished ? 0 : call.machine.bufferedRequestBytes
            releasedBytes += call.releaseHeldBytes(keeping: held)
        }
        receivedData.removeAll(keepingCapacity: true)
        session.consumeConnection(releasedBytes)
        releasedBytes = 0
    }

    /// Sends what is queued, then closes; a peer that does not read gets the handshake
    /// timeout to take it before the socket is closed anyway.
    private func close() {
        guard !isClosing, let context else { return }
        isClosing = true
        let channel = context.channel
        let flushed = context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)))
        flushed.whenComplete { _ in channel.close(promise: nil) }
        context.eventLoop.scheduleTask(in: .nanoseconds(handshakeTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
    }

    // MARK: - HTTP2ServerSessionDelegate (inside nghttp2 callbacks: record and queue only)

    func sessionDidBeginStream(_ streamID: Int32) {
        idleSince = nil
        calls[streamID] = ServerCall(
            streamID: streamID,
            machine: ServerCallStateMachine(
                maximumHeaderListSize: settings.maxHeaderListSize,
                maximumMessageLength: settings.maxReceiveMessageLength
            ),
            startNanoseconds: NIODeadline.now().uptimeNanoseconds
        )
    }

    func sessionDidReceiveHeader(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        calls[streamID]?.machine.receiveHeader(name: name, value: value)
    }

    func sessionDidReceiveHeaders(_ streamID: Int32, endStream: Bool) {
        guard let call = calls[streamID] else { return }
        enqueue(call, call.machine.receiveEndOfHeaders(router: router))
        if call.machine.head != nil, !call.machine.isFinished {
            events.append((call, .started))
        }
        if endStream {
            enqueue(call, call.machine.receiveEndOfStream())
        }
    }

    func sessionDidReceiveData(_ streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let call = calls[streamID] else {
            releasedBytes += bytes.count
            return
        }
        if call.hold(bytes.count) { receivedData.append(call) }
        enqueue(call, call.machine.receiveData(bytes))
    }

    func sessionDidReceiveEndOfStream(_ streamID: Int32) {
        guard let call = calls[streamID] else { return }
        enqueue(call, call.machine.receiveEndOfStream())
    }

    func sessionDidSendEndOfStream(_ streamID: Int32) {
        guard let session, calls[streamID] != nil, !session.isRemoteClosed(streamID) else { return }
        session.reset(streamID, errorCode: 0)
    }

    func sessionDidCloseStream(_ streamID: Int32, errorCode: UInt32) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        if calls.isEmpty { idleSince = NIODeadline.now().uptimeNanoseconds }
        call.isClosed = true
        releasedBytes += call.releaseHeldBytes(keeping: 0)
        if !call.machine.isFinished {
            record(call, code: .cancelled)
            logger.debug(
                "call cancelled by the client",
                metadata: ["grpc.method": "\(call.machine.head?.route.fullMethodName ?? "unknown")", "h2.error_code": "\(errorCode)"]
            )
        }
        call.cancelHandler()
    }

    func sessionRead(_ streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ServerSession.BodyRead {
        calls[streamID]?.read(into: buffer) ?? .dataThenEnd(count: 0)
    }

    func sessionShouldAccept(control: HTTP2ServerSession.ControlFrame) -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        switch control {
        case .settings:
            if !isHandshakeComplete {
                isHandshakeComplete = true
                handshakeTimer?.cancel()
                handshakeTimer = nil
            }
            violation = controlFrames.receiveSettings(now: now)
        case .ping:
            violation = controlFrames.receivePing(now: now)
        }
        return violation == nil
    }

    private func enqueue(_ call: ServerCall, _ action: ServerCallStateMachine.Action) {
        if case .none = action { return }
        events.append((call, .action(action)))
    }

    // MARK: - Calls (outside callbacks)

    private func processEvents() {
        var index = 0
        while index < events.count {
            let (call, event) = events[index]
            index += 1
            guard !call.isClosed else { continue }
            switch event {
            case .started:
                startDeadline(call)
            case .action(let action):
                perform(action, on: call)
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    private func perform(_ action: ServerCallStateMachine.Action, on call: ServerCall) {
        switch action {
        case .none:
            break
        case .rejectHTTP(let status, let body):
            let bytes = Array(body.utf8)
            call.append(raw: bytes)
            call.end(with: .endStream)
            session?.submitResponse(call.streamID, headers: GRPCHeaderBlocks.plainHTTP(status: status, bodyLength: bytes.count), body: true)
        case .finish(let finish):
            complete(call, finish)
        case .dispatchUnary(let message):
            runUnary(call, message)
        case .dispatchServerStreaming(let message):
            startServerStreaming(call, message)
        case .dispatchMessages(let messages):
            runBidirectional(call, messages)
        case .finishAfterResponses:
            finish(call, nil)
        }
    }

    private func startDeadline(_ call: ServerCall) {
        guard let timeout = call.machine.head?.timeout, let context else { return }
        call.deadline = ContinuousClock.now.advanced(by: timeout)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let streamID = call.streamID
        call.deadlineTimer = context.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            bound.value.deadlineExpired(streamID)
        }
    }

    private func deadlineExpired(_ streamID: Int32) {
        guard let call = calls[streamID] else { return }
        finish(call, RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
        flushNow()
    }

    private func makeContext(_ call: ServerCall, route: RPCRoute) -> ServerContext {
        ServerContext(
            method: route.fullMethodName,
            deadline: call.deadline,
            peer: peer,
            logger: logger,
            cancellation: call.cancellation
        )
    }

    private func runUnary(_ call: ServerCall, _ message: [UInt8]) {
        guard let route = call.machine.head?.route, case .unary(let handler) = route.method.handler,
            let bound = loopBound
        else { return }
        let context = makeContext(call, route: route)
        switch message.withUnsafeBytes({ handler($0, context) }) {
        case .response(let response):
            respond(call, messages: [response], finishing: true)
        case .failure(let error):
            finish(call, error)
        case .async(let work):
            let streamID = call.streamID
            call.task = Task {
                let result: Result<[UInt8], RPCError>
                do {
                    result = .success(try await work())
                } catch {
                    result = .failure(RPCError(wrapping: error))
                }
                bound.execute { handler in handler.completeUnary(streamID, result) }
            }
        }
    }

    private func completeUnary(_ streamID: Int32, _ result: Result<[UInt8], RPCError>) {
        guard let call = calls[streamID], !call.machine.isFinished else { return }
        call.task = nil
        switch result {
        case .success(let response): respond(call, messages: [response], finishing: true)
        case .failure(let error): finish(call, error)
        }
        flushNow()
    }

    private func startServerStreaming(_ call: ServerCall, _ message: [UInt8]) {
        guard let route = call.machine.head?.route, case .serverStreaming(let start) = route.method.handler,
            let bound = loopBound
        else { return }
        let streamID = call.streamID
        let sink = StreamSink(connection: bound, streamID: streamID)
        let context = makeContext(call, route: route)
        let started = message.withUnsafeBytes { bytes in
            Result { () throws(RPCError) in try start(bytes, context, sink) }
        }
        let work: @Sendable () async throws -> Void
        switch started {
        case .success(let body):
            work = body
        case .failure(let error):
            finish(call, error)
            return
        }
        respond(call, messages: [], finishing: false)
        call.task = Task {
            let failure: RPCError?
            do {
                try await work()
                failure = nil
            } catch {
                failure = RPCError(wrapping: error)
            }
            bound.execute { handler in handler.completeStreaming(streamID, failure) }
        }
    }

    private func completeStreaming(_ streamID: Int32, _ error: RPCError?) {
        guard let call = calls[streamID], !call.machine.isFinished else { return }
        call.task = nil
        finish(call, error)
        flushNow()
    }

    /// A server-streaming handler's message, delivered on the event loop.
    func deliverStreamMessage(_ streamID: Int32, _ message: [UInt8]) {
        guard let call = calls[streamID], !call.machine.isFinished else { return }
        controlFrames.didSendResponseFrames()
        call.appendCoalescing(message: message)
        resumeIfDeferred(call)
        flushNow()
    }

    private func runBidirectional(_ call: ServerCall, _ messages: [[UInt8]]) {
        guard let route = call.machine.head?.route, case .bidirectional(let handler) = route.method.handler else { return }
        let context = makeContext(call, route: route)
        var responses: [[UInt8]] = []
        for message in messages {
            let answered = message.withUnsafeBytes { bytes in
                Result { () throws(RPCError) in try handler(bytes, context) }
            }
            switch answered {
            case .success(let answers):
                responses += answers
            case .failure(let error):
                if !responses.isEmpty { respond(call, messages: responses, finishing: false) }
                finish(call, error)
                return
            }
        }
        respond(call, messages: responses, finishing: false)
    }

    /// Sends response messages (HEADERS first if needed), optionally ending with OK.
    private func respond(_ call: ServerCall, messages: [[UInt8]], finishing: Bool) {
        guard !call.machine.isFinished else { return }
        if call.machine.startResponse() {
            session?.submitResponse(call.streamID, headers: GRPCHeaderBlocks.response, body: true)
        }
        controlFrames.didSendResponseFrames()
        if call.queuedBytes > settings.maxQueuedBytesPerStream {
            resetOverfull(call)
            return
        }
        call.append(messages: messages)
        if finishing {
            finish(call, nil)
        } else {
            resumeIfDeferred(call)
        }
    }

    /// Ends a call with OK (nil) or an error, unless it already ended.
    private func finish(_ call: ServerCall, _ error: RPCError?) {
        guard !call.isClosed, let finish = call.machine.finish(error) else { return }
        complete(call, finish)
    }

    private func complete(_ call: ServerCall, _ finish: ServerCallStateMachine.Finish) {
        record(call, code: finish.code)
        if finish.code != .ok {
            logger.debug(
                "call failed",
                metadata: [
                    "grpc.method": "\(call.machine.head?.route.fullMethodName ?? "unknown")",
                    "grpc.status": "\(finish.code)", "grpc.message": "\(finish.error?.message ?? "")",
                    "grpc.user_agent": "\(call.machine.head?.userAgent ?? "")",
                ]
            )
        }
        call.cancelHandler()
        if finish.trailersOnly {
            let block = GRPCHeaderBlocks.status(
                code: finish.code.rawValue,
                message: finish.error?.message ?? "",
                trailersOnly: true
            )
            session?.submitResponse(call.streamID, headers: block, body: false)
        } else {
            let trailers =
                finish.error.map { GRPCHeaderBlocks.status(code: $0.code.rawValue, message: $0.message, trailersOnly: false) }
                ?? GRPCHeaderBlocks.okTrailers
            call.end(with: .trailers(trailers))
            resumeIfDeferred(call)
        }
    }

    /// The client keeps asking on a stream whose window it never opens: drop the queued
    /// answers and reset the stream rather than hold them without bound.
    private func resetOverfull(_ call: ServerCall) {
        guard call.machine.finish(RPCError(code: .resourceExhausted, message: "response queue full")) != nil else { return }
        logger.warning(
            "resetting a stream whose client does not read its answers",
            metadata: [
                "grpc.method": "\(call.machine.head?.route.fullMethodName ?? "unknown")",
                "grpc.queued_bytes": "\(call.queuedBytes)",
            ]
        )
        record(call, code: .resourceExhausted)
        call.cancelHandler()
        call.dropQueued()
        session?.reset(call.streamID, errorCode: Self.enhanceYourCalm)
    }

    /// HTTP/2's ENHANCE_YOUR_CALM: "you are generating excessive load".
    private static let enhanceYourCalm: UInt32 = 0xb

    private func resumeIfDeferred(_ call: ServerCall) {
        if call.takeDeferred() { session?.resume(call.streamID) }
    }

    private func record(_ call: ServerCall, code: StatusCode) {
        let metrics = call.machine.head?.route.metrics ?? router.unknownMethodMetrics
        let elapsed = NIODeadline.now().uptimeNanoseconds &- call.startNanoseconds
        metrics.record(code: code, durationNanoseconds: Int64(truncatingIfNeeded: elapsed))
    }
}
