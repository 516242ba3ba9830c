import ArgumentParser
import GRPCServerCore
import GRPCServerNIO
import Logging
import ServiceLifecycle

/// `serve`: run the gRPC server until SIGTERM/SIGINT, then drain gracefully and exit 0.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the external scaler over gRPC (the default).")

    @Option(help: "Address to bind (env: KKS_HOST) (default: 0.0.0.0)")
    var host: String?

    @Option(help: "gRPC port; 0 picks a free one (env: KKS_PORT) (default: 6000)")
    var port: Int?

    @Option(help: "Seconds a graceful shutdown may take (env: KKS_SHUTDOWN_GRACE) (default: 20)")
    var shutdownGrace: Double?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env: KKS_LOG_LEVEL) (default: info)")
    var logLevel: Logger.Level?

    @Option(help: "text or json (env: KKS_LOG_FORMAT) (default: text)")
    var logFormat: LogFormat?

    /// The options after flags, environment and defaults were applied.
    private struct Resolved {
        var host: String
        var port: Int
        var shutdownGrace: Double
        var logLevel: Logger.Level
        var logFormat: LogFormat
    }

    private func resolve() throws -> Resolved {
        let resolved = Resolved(
            host: try EnvironmentOption.resolve(host, variable: "KKS_HOST", default: "0.0.0.0") { $0 },
            port: try EnvironmentOption.resolve(port, variable: "KKS_PORT", default: 6000) { Int($0) },
            shutdownGrace: try EnvironmentOption.resolve(shutdownGrace, variable: "KKS_SHUTDOWN_GRACE", default: 20) {
                Double($0)
            },
            logLevel: try EnvironmentOption.resolve(logLevel, variable: "KKS_LOG_LEVEL", default: .info) {
                Logger.Level(rawValue: $0)
            },
            logFormat: try EnvironmentOption.resolve(logFormat, variable: "KKS_LOG_FORMAT", default: .text) {
                LogFormat(rawValue: $0)
            }
        )
        guard (0...65_535).contains(resolved.port) else {
            throw ValidationError("port \(resolved.port) is outside 0...65535")
        }
        guard resolved.shutdownGrace.isFinite, resolved.shutdownGrace >= 0 else {
            throw ValidationError("shutdown grace \(resolved.shutdownGrace) must be a non-negative number of seconds")
        }
        return resolved
    }

    func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let options = try resolve()
        options.logFormat.bootstrap(level: options.logLevel)
        let logger = Logger(label: "keda-kafka-scaler")
        let services = ServiceRegistry(reflectionIndex: try ReflectionIndex.embedded())
        let grace = Duration.milliseconds(Int64(options.shutdownGrace * 1000))
        let server = GRPCServer(
            configuration: GRPCServerConfiguration(host: options.host, port: options.port, shutdownGrace: grace),
            services: services,
            logger: Logger(label: "keda-kafka-scaler.grpc")
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "grpc-server")
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
