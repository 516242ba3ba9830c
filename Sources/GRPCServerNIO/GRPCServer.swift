public import GRPCCore
public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
public import ServiceLifecycle
import Metrics
import Synchronization
import TimeUnits

/// The gRPC server as a swift-service-lifecycle `Service`: it binds, serves every
/// connection on an event loop, and on graceful shutdown drains in the order gRPC clients
/// and Kubernetes expect (health NOT_SERVING, GOAWAY notice, final GOAWAY about a second
/// later, unary calls finish, long-lived streams end UNAVAILABLE), all within the grace.
/// With TLS, each connection starts with a TLS handshake (ALPN `h2`) using the reloader's
/// identity at accept time; without it, the pipeline is the nghttp2 handler alone (h2c).
public final class GRPCServer: Service, Sendable {
    private enum Binding {
        case waiting([CheckedContinuation<SocketAddress, any Error>])
        case bound(SocketAddress)
        case failed(any Error)
    }

    private let configuration: GRPCServerConfiguration
    private let router: RPCRouter
    private let health: HealthStatusBoard
    private let group: any EventLoopGroup
    private let logger: Logger
    private let tls: TLSContextReloader?
    private let connections = ConnectionTracker()
    private let binding = Mutex(Binding.waiting([]))

    /// Serves `services` (plus Health and reflection) as `configuration` says, over TLS
    /// when `tls` is given (its files are watched while the server runs), else h2c.
    public init(
        configuration: GRPCServerConfiguration,
        services: ServiceCatalog,
        tls: TLSContextReloader? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.tls = tls
        router = services.makeRouter()
        health = services.health
        self.group = group
        self.logger = logger
    }

    /// The bound address, once `run()` has bound (port 0 resolves to the chosen port).
    public var listeningAddress: SocketAddress {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let result: Result<SocketAddress, any Error>? = binding.withLock { binding in
                    switch binding {
                    case .waiting(let waiters):
                        binding = .waiting(waiters + [continuation])
                        return nil
                    case .bound(let address):
                        return .success(address)
                    case .failed(let error):
                        return .failure(error)
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }

    /// Connections closed at accept because `maxConnections` were open.
    public static let refusedConnectionsLabel = "kafka_scaler_grpc_connections_refused_total"

    /// The number of open client connections.
    public var connectionCount: Int { connections.count }

    /// Binds and serves until graceful shutdown completes or the task is cancelled.
    public func run() async throws {
        let serverChannel: any Channel
        do {
            serverChannel = try await bind()
        } catch {
            logger.error(
                "gRPC server could not bind",
                metadata: ["grpc.host": "\(configuration.host)", "grpc.port": "\(configuration.port)", "error": "\(error)"]
            )
            resolveBinding(.failure(error))
            throw error
        }
        let address = serverChannel.localAddress
        logger.info(
            "gRPC server listening",
            metadata: [
                "grpc.host": "\(configuration.host)",
                "grpc.port": "\(address?.port ?? configuration.port)",
                "grpc.tls": "\(transportSecurity)",
            ]
        )
        if let address { resolveBinding(.success(address)) }
        let graceTimer = Mutex<Scheduled<Void>?>(nil)
        await withDiscardingTaskGroup { group in
            if let tls { group.addTask { await tls.run() } }
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    try? await serverChannel.closeFuture.get()
                    await connections.waitUntilEmpty()
                } onGracefulShutdown: {
                    graceTimer.withLock { $0 = self.beginShutdown(serverChannel) }
                }
            } onCancel: {
                serverChannel.close(promise: nil)
                self.connections.closeAll()
            }
            group.cancelAll()
        }
        graceTimer.withLock { $0?.cancel() }
        logger.info("gRPC server stopped")
    }

    /// `off` (h2c), `on` (TLS) or `mtls` (TLS with client certificates), for the start-up log.
    private var transportSecurity: String {
        guard let tls else { return "off" }
        return tls.files.clientCA == nil ? "on" : "mtls"
    }

    private func bind() async throws -> any Channel {
        let router = self.router
        let configuration = self.configuration
        let connections = self.connections
        let logger = self.logger
        let tls = self.tls
        let refusals = Counter(label: Self.refusedConnectionsLabel)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard connections.count < configuration.maxConnections else {
                    refusals.increment()
                    logger.debug("refusing a connection over the limit", metadata: ["grpc.max_connections": "\(configuration.maxConnections)"])
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls.identity.context))
                        if !configuration.allowedClientNames.isEmpty {
                            try pipeline.addHandler(
                                ClientIdentityHandler(allowed: configuration.allowedClientNames, logger: logger)
                            )
                        }
                    }
                    try pipeline.addHandler(
                        GRPCConnectionHandler(router: router, configuration: configuration, connections: connections, logger: logger)
                    )
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }

    /// Starts the drain and returns the timer that force-closes whatever is left at the grace.
    private func beginShutdown(_ serverChannel: any Channel) -> Scheduled<Void> {
        logger.info(
            "gRPC server draining",
            metadata: ["grpc.connections": "\(connections.count)", "grpc.shutdown_grace": "\(configuration.shutdownGrace)"]
        )
        health.enterShutdown()
        serverChannel.close(promise: nil)
        connections.beginGracefulShutdown(goAwayDelay: configuration.goAwayDelay)
        let connections = self.connections
        let logger = self.logger
        return group.next().scheduleTask(in: .nanoseconds(configuration.shutdownGrace.nanoseconds)) {
            if connections.count > 0 {
                logger.warning("shutdown grace ran out; closing connections", metadata: ["grpc.connections": "\(connections.count)"])
            }
            connections.closeAll()
        }
    }

    private func resolveBinding(_ result: Result<SocketAddress, any Error>) {
        let waiters: [CheckedContinuation<SocketAddress, any Error>] = binding.withLock { binding in
            guard case .waiting(let waiters) = binding else { return [] }
            switch result {
            case .success(let address): binding = .bound(address)
            case .failure(let error): binding = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
