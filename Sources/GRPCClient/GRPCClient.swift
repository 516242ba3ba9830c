public import GRPCCore
public import NIOCore
public import NIOPosix
import NIOSSL
import Synchronization

/// A small gRPC client for unary calls over one HTTP/2 connection (h2c with prior
/// knowledge), on an nghttp2 client session driven by SwiftNIO. Calls may run
/// concurrently; each is bounded by its timeout, sent to the server as `grpc-timeout`
/// and enforced locally too, so no call outlives it. It exists for the CLI (`probe`,
/// `health`, `demo`), which must talk to the scaler the way KEDA does.
public final class GRPCClient: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<GRPCClientHandler>
    private let authority: String
    private let nextCallID = Atomic<UInt64>(0)

    private init(channel: any Channel, handler: NIOLoopBound<GRPCClientHandler>, authority: String) {
        self.channel = channel
        self.handler = handler
        self.authority = authority
    }

    /// Connects to `host:port`. Throws ``GRPCClientError`` when no TCP connection
    /// can be made within `configuration.connectTimeout`.
    public static func connect(
        host: String,
        port: Int,
        configuration: GRPCClientConfiguration = .defaults,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(GRPCClientError) -> GRPCClient {
        let maximumResponseLength = configuration.maximumResponseLength
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let tls: (context: NIOSSLContext, hostname: String?)?
        do {
            tls = try configuration.tls.map { settings in
                var tlsConfiguration = settings.configuration
                tlsConfiguration.applicationProtocols = ["h2"]
                return (try NIOSSLContext(configuration: tlsConfiguration), settings.serverHostname ?? Self.sniHostname(host))
            }
        } catch {
            throw GRPCClientError(.connectFailed, "cannot set up TLS: \(error)")
        }
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls.context, serverHostname: tls.hostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(GRPCClientHandler(maximumMessageLength: maximumResponseLength))
                    }
                }
                .connect(host: host, port: port)
                .get()
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self), eventLoop: channel.eventLoop)
            }.get()
            return GRPCClient(channel: channel, handler: handler, authority: authority)
        } catch let error as ChannelError where error == .connectTimeout(TimeAmount(configuration.connectTimeout)) {
            throw GRPCClientError(.connectTimedOut, "connecting to \(authority) timed out after \(configuration.connectTimeout)")
        } catch {
            throw GRPCClientError(.connectFailed, "cannot connect to \(authority): \(error)")
        }
    }

    /// SNI carries names only: an IP address is verified against the certificate's IP SANs without SNI.
    private static func sniHostname(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// True while the connection is open (the server may still refuse new calls after GOAWAY).
    public var isConnected: Bool { channel.isActive }

    /// Calls the unary method `path` (`/package.Service/Method`) and returns the
    /// response, or the call's status: the server's `grpc-status` and percent-decoded
    /// `grpc-message`, DEADLINE_EXCEEDED after `timeout`, UNAVAILABLE when the
    /// connection is gone, CANCELLED when the calling task is cancelled.
    public func unary<Request: Sendable, Response: Sendable>(
        _ path: String,
        request: Request,
        requestCodec: MessageCodec<Request>,
        responseCodec: MessageCodec<Response>,
        timeout: Duration
    ) async -> Result<Response, RPCError> {
        let bytes = await unary(path, message: requestCodec.encode(request), timeout: timeout)
        return bytes.flatMap { payload in
            payload.withUnsafeBytes { buffer in
                Result { () throws(RPCError) in try responseCodec.decode(buffer) }
            }
        }
    }

    /// The same call with serialized messages.
    public func unary(_ path: String, message: [UInt8], timeout: Duration) async -> Result<[UInt8], RPCError> {
        let callID = nextCallID.add(1, ordering: .relaxed).newValue
        let promise = channel.eventLoop.makePromise(of: Result<[UInt8], RPCError>.self)
        let handler = self.handler
        let authority = self.authority
        // Queued before the cancellation handler can queue a cancel, so the event loop
        // always sees start, then cancel.
        channel.eventLoop.execute {
            handler.value.start(callID: callID, path: path, authority: authority, message: message, timeout: timeout, promise: promise)
        }
        return await withTaskCancellationHandler {
            // The handler always succeeds the promise: with the result, at the deadline,
            // when the call is cancelled, or when the connection ends.
            (try? await promise.futureResult.get()) ?? .failure(RPCError(code: .internal, message: "call lost"))
        } onCancel: {
            channel.eventLoop.execute { handler.value.cancel(callID: callID) }
        }
    }

    /// Closes the connection (GOAWAY, then TCP close); calls in flight end UNAVAILABLE.
    public func close() async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close() }
        try? await channel.closeFuture.get()
    }
}
