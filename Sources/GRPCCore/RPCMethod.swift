/// One method of a service: its name, codecs and handler, erased to bytes for the transport.
public struct RPCMethod: Sendable {
    /// The method's simple name, e.g. `Check`.
    public let name: String
    /// The stream shape.
    public var kind: RPCKind {
        switch handler {
        case .unary: .unary
        case .serverStreaming: .serverStreaming
        case .bidirectional: .bidirectionalStreaming
        }
    }

    /// The byte-level form the transport calls.
    package enum Handler: Sendable {
        case unary(@Sendable (UnsafeRawBufferPointer, ServerContext) -> UnaryOutcome<[UInt8]>)
        case serverStreaming(
            @Sendable (UnsafeRawBufferPointer, ServerContext, any ServerStreamSink) throws(RPCError)
                -> @Sendable () async throws -> Void
        )
        case bidirectional(@Sendable (UnsafeRawBufferPointer, ServerContext) throws(RPCError) -> [[UInt8]])
    }

    package let handler: Handler

    /// The largest request message this method accepts, below the server's own limit;
    /// `nil` for the server's limit. A larger message ends the call RESOURCE_EXHAUSTED
    /// before it is buffered.
    public private(set) var maximumRequestLength: Int?

    /// The limit for services whose requests are small (health checks, KEDA's
    /// ExternalScaler, whose refs are well under 4 KiB): 64 KiB.
    public static let smallRequestLength = 64 * 1024

    /// This method, refusing request messages larger than `bytes`: methods whose requests
    /// are small cap what one call can make the server buffer and decode.
    public func limitingRequests(to bytes: Int) -> RPCMethod {
        var copy = self
        copy.maximumRequestLength = bytes
        return copy
    }

    /// A unary method. The handler runs on the connection's event loop: answer synchronously
    /// when you can, return `.async` for work that waits.
    public static func unary<Request, Response>(
        _ name: String,
        request: MessageCodec<Request>,
        response: MessageCodec<Response>,
        handler: @escaping @Sendable (Request, ServerContext) -> UnaryOutcome<Response>
    ) -> RPCMethod {
        RPCMethod(
            name: name,
            handler: .unary { bytes, context in
                let decoded: Request
                do throws(RPCError) {
                    decoded = try request.decode(bytes)
                } catch {
                    return .failure(error)
                }
                switch handler(decoded, context) {
                case .response(let message): return .response(response.encode(message))
                case .failure(let error): return .failure(error)
                case .async(let work): return .async { response.encode(try await work()) }
                }
            }
        )
    }

    /// A server-streaming method. The request is decoded on the event loop; the handler then
    /// runs in a task and sends through the writer. Returning ends the call with OK, throwing
    /// ends it with the error; at shutdown the task is cancelled and the call ends UNAVAILABLE.
    public static func serverStreaming<Request, Response>(
        _ name: String,
        request: MessageCodec<Request>,
        response: MessageCodec<Response>,
        handler: @escaping @Sendable (Request, ServerContext, ServerStreamWriter<Response>) async throws -> Void
    ) -> RPCMethod {
        RPCMethod(
            name: name,
            handler: .serverStreaming { bytes, context, sink throws(RPCError) in
                let decoded = try request.decode(bytes)
                let writer = ServerStreamWriter(sink: sink, encode: response.encode)
                return { try await handler(decoded, context, writer) }
            }
        )
    }

    /// A bidirectional method handled message by message, in arrival order and without
    /// waiting for the client's half-close (grpcurl sends reflection requests in lock-step).
    /// The call ends with OK when the client half-closes.
    public static func bidirectional<Request, Response>(
        _ name: String,
        request: MessageCodec<Request>,
        response: MessageCodec<Response>,
        handler: @escaping @Sendable (Request, ServerContext) throws(RPCError) -> [Response]
    ) -> RPCMethod {
        RPCMethod(
            name: name,
            handler: .bidirectional { bytes, context throws(RPCError) in
                try handler(try request.decode(bytes), context).map(response.encode)
            }
        )
    }
}
