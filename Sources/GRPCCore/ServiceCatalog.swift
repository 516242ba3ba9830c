/// Collects the services a server offers. Health and reflection (v1 and v1alpha) are
/// always served; everything registered is listed by reflection and reported SERVING by
/// health under its full name.
public struct ServiceCatalog: Sendable {
    /// The health statuses the Health service reports; shutdown flips them to NOT_SERVING.
    public let health: HealthStatusBoard
    private let reflectionIndex: ReflectionIndex
    private var services: [any RPCService] = []

    /// Makes a catalog serving Health over `health` and reflection over `reflectionIndex`.
    public init(health: HealthStatusBoard = HealthStatusBoard(), reflectionIndex: ReflectionIndex) {
        self.health = health
        self.reflectionIndex = reflectionIndex
    }

    /// Adds a service (one line per service at start-up).
    public mutating func register(_ service: some RPCService) {
        services.append(service)
    }

    /// The routing table: the registered services, Health, and both reflection versions,
    /// with every one of them (and `""`) marked SERVING.
    public func makeRouter() -> RPCRouter {
        let healthService = HealthService(statuses: health)
        let listed = [healthService.serviceName] + services.map(\.serviceName) + ServerReflectionService.serviceNames
        let reflection = ServerReflectionService.allVersions(index: reflectionIndex, listedServices: listed)
        let all: [any RPCService] = [healthService] + services + reflection
        health.setStatus(.serving, for: "")
        for service in all {
            health.setStatus(.serving, for: service.serviceName)
        }
        return RPCRouter(services: all)
    }
}
