/// A registered method as the transport finds it by `:path`.
public struct RPCRoute: Sendable {
    /// The method as `package.Service/Method` (metrics and logs use it).
    public let fullMethodName: String
    /// The method and its handler.
    public let method: RPCMethod
    /// Its cached metrics.
    public let metrics: MethodMetrics
}

/// The immutable path → method table a server serves; built by `ServiceCatalog`.
public struct RPCRouter: Sendable {
    private let routes: [String: RPCRoute]
    /// The full names of every served service, in registration order.
    public let serviceNames: [String]
    /// The metrics under which calls to unknown paths are counted (one shared `method` value
    /// so that scanners cannot blow up metric cardinality).
    public let unknownMethodMetrics = MethodMetrics(method: "unknown")

    init(services: [any RPCService]) {
        var routes: [String: RPCRoute] = [:]
        for service in services {
            for method in service.methods {
                let fullName = "\(service.serviceName)/\(method.name)"
                routes["/" + fullName] = RPCRoute(
                    fullMethodName: fullName,
                    method: method,
                    metrics: MethodMetrics(method: fullName)
                )
            }
        }
        self.routes = routes
        serviceNames = services.map(\.serviceName)
    }

    /// The route for a request's `:path` (case-sensitive), or nil (UNIMPLEMENTED).
    public func route(forPath path: String) -> RPCRoute? {
        routes[path]
    }
}
