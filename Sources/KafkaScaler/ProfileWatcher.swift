public import ScalerRegistry
public import ServiceLifecycle

/// Watches the auth profiles in use by polling their stamps (a mounted Secret's `..data`
/// link, or file sizes and times): a changed profile becomes the pending source of the
/// entries using it, never served before a bump, failure or reload. Polling works on every
/// volume type and costs one `readlink` per profile in use per interval.
public struct ProfileWatcher: Service {
    private let registry: ScalerRegistry
    private let interval: Duration

    /// Checks every `interval` (`--profile-poll-interval`, default 1 s).
    public init(registry: ScalerRegistry, interval: Duration = .seconds(1)) {
        self.registry = registry
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await registry.checkProfiles()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
    }
}
