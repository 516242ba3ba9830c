public import GRPCCore
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
public import ScalerRegistry
public import ServiceLifecycle
import Synchronization

/// The ops HTTP port (DESIGN.md §6): `/metrics`, `/healthz`, `/readyz`, `GET /registry`
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
        /// Connections, request time and sizes one client may use.
        public var limits: OpsLimits

        public init(host: String, port: Int, access: OpsAccess, limits: OpsLimits) {
            self.host = host
            self.port = port
            self.access = access
            self.limits = limits
        }

        /// `0.0.0.0:8080`, registry and reload closed (``OpsAccess/defaults``), ``OpsLimits/defaults``.
        public static var defaults: Self { Self(host: "0.0.0.0", port: 8080, access: .defaults, limits: .defaults) }
    }

    private let configuration: Configuration
    private let routes: OpsRoutes
    private let logger: Logger

    public init(
        configuration: Configuration, registry: ScalerRegistry, health: HealthStatusBoard,
        metrics: @escaping @Sendable () -> [UInt8], logger: Logger
    ) {
        self.configuration = configuration
        self.routes = OpsRoutes(registry: registry, health: health, metrics: metrics, access: configuration.access, logger: logger)
        self.logger = logger
    }

    /// Counts connections closed at accept because `--ops-max-connections` were open.
    static let refusedConnectionsLabel = "kafka_scaler_ops_connections_refused_total"

    public func run() async throws {
        let routes = self.routes
        let limits = configuration.limits
        let open = OpenConnections()
        let refusals = Counter(label: Self.refusedConnectionsLabel)
        let logger = self.logger
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard open.enter(below: limits.maxConnections) else {
                    refusals.increment()
                    logger.debug("refusing an ops connection over the limit", metadata: ["ops.max_connections": "\(limits.maxConnections)"])
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in open.leave() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(OpsHTTPHandler(routes: routes, limits: limits))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        logger.info(
            "ops server listening",
            metadata: [
                "ops.host": "\(configuration.host)", "ops.port": "\(channel.localAddress?.port ?? configuration.port)",
            ])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// The ops port's open connections, counted across event loops.
private final class OpenConnections: Sendable {
    private let count = Atomic(0)

    /// Counts a new connection unless `limit` are open already.
    func enter(below limit: Int) -> Bool {
        guard count.add(1, ordering: .relaxed).newValue > limit else { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() {
        count.subtract(1, ordering: .relaxed)
    }
}
