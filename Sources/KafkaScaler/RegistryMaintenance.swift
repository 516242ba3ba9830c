public import ScalerRegistry
public import ServiceLifecycle

/// Runs the registry's housekeeping: closes Kafka connections that stayed idle
/// past the pool's idle timeout and forgets expired observations; at shutdown,
/// after the gRPC server drained, closes every Kafka handle.
public struct RegistryMaintenance: Service {
    private let registry: ScalerRegistry
    private let interval: Duration

    /// Sweeps every `interval` (default 30 s).
    public init(registry: ScalerRegistry, interval: Duration = .seconds(30)) {
        self.registry = registry
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await registry.sweep()
        }
        await registry.shutdown()
    }
}
