/// The life of one server call, from request HEADERS to trailers, as a value the transport
/// drives with events and that answers with actions. It knows nothing of HTTP/2 frames or
/// sockets; the transport maps actions onto nghttp2 calls.
public struct ServerCallStateMachine: Sendable {
    /// What the transport must do after an event.
    public enum Action: Sendable {
        /// Nothing yet.
        case none
        /// Answer with a plain HTTP status and a short text body (not a gRPC request).
        case rejectHTTP(status: Int, body: String)
        /// End the call: Trailers-Only or trailers, as `Finish` says.
        case finish(Finish)
        /// Run the unary handler with the request message.
        case dispatchUnary([UInt8])
        /// Start the server-streaming handler with the request message.
        case dispatchServerStreaming([UInt8])
        /// Hand these bidirectional request messages, in order, to the handler.
        case dispatchMessages([[UInt8]])
        /// The client half-closed a bidirectional call: once the messages dispatched before
        /// have been answered, end the call with OK (`finish(nil)`).
        case finishAfterResponses
    }

    /// How a call ends.
    public struct Finish: Sendable, Hashable {
        /// The failure, or nil for OK.
        public let error: RPCError?
        /// True when no response HEADERS went out, so one HEADERS frame carries everything.
        public let trailersOnly: Bool

        /// The status code sent.
        public var code: StatusCode { error?.code ?? .ok }
    }

    private enum RequestState: Sendable {
        case headers(RequestHeaderCollector)
        case body(MessageDeframer, message: [UInt8]?)
        case ended
    }

    private enum ResponseState: Sendable {
        case idle
        case headersSent
        case finished
    }

    private var request: RequestState
    private var response = ResponseState.idle
    private let maximumMessageLength: Int
    /// The validated request, once its headers were accepted.
    public private(set) var head: RequestHead?

    /// Starts a call in the state "receiving headers".
    public init(maximumHeaderListSize: Int = 16_384, maximumMessageLength: Int = 4 * 1024 * 1024) {
        request = .headers(RequestHeaderCollector(maximumHeaderListSize: maximumHeaderListSize))
        self.maximumMessageLength = maximumMessageLength
    }

    /// True once the response ended (trailers or an HTTP rejection went out).
    public var isFinished: Bool { response == .finished }
    /// Request bytes held until dispatch (a partial message, or a whole one waiting for
    /// END_STREAM): the transport keeps their connection window closed meanwhile.
    public var bufferedRequestBytes: Int {
        guard case .body(let deframer, let message) = request else { return 0 }
        return deframer.bufferedByteCount + (message?.count ?? 0)
    }

    /// True once the client half-closed.
    public var hasRequestEnded: Bool {
        if case .ended = request { return true }
        return false
    }

    /// One request header field.
    public mutating func receiveHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        guard case .headers(var collector) = request else { return }
        collector.receive(name: name, value: value)
        request = .headers(collector)
    }

    /// The request header block is complete: validate it and route the call. A call that
    /// cannot succeed is answered now, without waiting for the body.
    public mutating func receiveEndOfHeaders(router: RPCRouter) -> Action {
        guard case .headers(let collector) = request else { return .none }
        request = .body(MessageDeframer(maximumMessageLength: maximumMessageLength), message: nil)
        switch collector.validate(router: router) {
        case .failure(.http(let status, let body)):
            response = .finished
            return .rejectHTTP(status: status, body: body)
        case .failure(.status(let error)):
            return finishAction(error)
        case .success(let head):
            self.head = head
            if let limit = head.route.method.maximumRequestLength, limit < maximumMessageLength {
                request = .body(MessageDeframer(maximumMessageLength: limit), message: nil)
            }
            if let timeout = head.timeout, timeout <= .zero {
                return finishAction(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
            }
            return .none
        }
    }

    /// Request body bytes (any slice of the length-prefixed stream).
    public mutating func receiveData(_ bytes: UnsafeRawBufferPointer) -> Action {
        guard case .body(var deframer, var message) = request, response != .finished, let head else { return .none }
        deframer.append(bytes)
        var messages: [[UInt8]] = []
        do throws(RPCError) {
            while let next = try deframer.next() {
                if head.route.method.kind == .bidirectionalStreaming {
                    messages.append(next)
                } else if message == nil {
                    message = next
                } else {
                    throw RPCError(
                        code: .unimplemented,
                        message: "\(head.route.method.kind == .unary ? "unary" : "server-streaming") call received more than one request message"
                    )
                }
            }
        } catch {
            request = .ended
            return finishAction(error)
        }
        request = .body(deframer, message: message)
        return messages.isEmpty ? .none : .dispatchMessages(messages)
    }

    /// The client half-closed (END_STREAM on HEADERS, on DATA, or on an empty DATA frame).
    public mutating func receiveEndOfStream() -> Action {
        guard case .body(let deframer, let message) = request else {
            request = .ended
            return .none
        }
        request = .ended
        guard response != .finished, let head else { return .none }
        if deframer.hasPartialMessage {
            return finishAction(RPCError(code: .internal, message: "request stream ended inside a message"))
        }
        switch head.route.method.kind {
        case .bidirectionalStreaming:
            return .finishAfterResponses
        case .unary, .serverStreaming:
            guard let message else {
                return finishAction(RPCError(code: .unimplemented, message: "call received no request message"))
            }
            return head.route.method.kind == .unary ? .dispatchUnary(message) : .dispatchServerStreaming(message)
        }
    }

    /// The transport is about to send response messages: true if HEADERS must go out first.
    public mutating func startResponse() -> Bool {
        guard response == .idle else { return false }
        response = .headersSent
        return true
    }

    /// Ends the call with OK (nil) or an error; nil if it already ended (the first end wins,
    /// e.g. a deadline racing a handler's answer).
    public mutating func finish(_ error: RPCError?) -> Finish? {
        guard case .finish(let finish) = finishAction(error) else { return nil }
        return finish
    }

    private mutating func finishAction(_ error: RPCError?) -> Action {
        switch response {
        case .finished:
            return .none
        case .idle:
            response = .finished
            return .finish(Finish(error: error, trailersOnly: true))
        case .headersSent:
            response = .finished
            return .finish(Finish(error: error, trailersOnly: false))
        }
    }
}
