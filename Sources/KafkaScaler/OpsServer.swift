import GRPCServerCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ScalerRegistry
import ServiceLifecycle

/// The ops HTTP port (SPEC §7): `/metrics`, `/healthz`, `/readyz`, `GET /registry`
/// and `POST /registry/reload`. It keeps answering while the gRPC server drains, so
/// `/readyz` can say 503 and the last metrics can be scraped.
public struct OpsServer: Service {
    /// Where and how the ops port listens.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port.
        public var port: Int
        /// Who may read `/registry` and reload.
        public var access: OpsAccess

        public init(host: String, port: Int, access: OpsAccess) {
            self.host = host
            self.port = port
            self.access = access
        }

        /// `0.0.0.0:8080`, registry and reload closed (``OpsAccess/defaults``).
        public static var defaults: Self { Self(host: "0.0.0.0", port: 8080, access: .defaults) }
    }

    private let configuration: Configuration
    private let routes: OpsRoutes
    private let logger: Logger

    public init(configuration: Configuration, registry: ScalerRegistry, health: HealthStatusRegistry,
                metrics: @escaping @Sendable () -> [UInt8], logger: Logger) {
        self.configuration = configuration
        self.routes = OpsRoutes(registry: registry, health: health, metrics: metrics, access: configuration.access, logger: logger)
        self.logger = logger
    }

    public func run() async throws {
        let routes = self.routes
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(OpsHTTPHandler(routes: routes))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        logger.info("ops server listening", metadata: [
            "ops.host": "\(configuration.host)", "ops.port": "\(channel.localAddress?.port ?? configuration.port)",
        ])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Reads one HTTP/1.1 request at a time and answers it from ``OpsRoutes``.
final class OpsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: OpsRoutes
    private var head: HTTPRequestHead?

    init(routes: OpsRoutes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let response = routes.respond(to: OpsRequest(head: head, peer: context.remoteAddress))
            var headers = HTTPHeaders([("content-type", response.contentType), ("content-length", "\(response.body.count)")])
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !head.isKeepAlive {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
