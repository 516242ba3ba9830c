/// A gRPC service: a full name and its methods. Register one with `ServiceCatalog.register`.
public protocol RPCService: Sendable {
    /// The full service name, e.g. `grpc.health.v1.Health`.
    var serviceName: String { get }
    /// The methods it serves.
    var methods: [RPCMethod] { get }
}
