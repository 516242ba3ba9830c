/// Who may read the registry and reload it through the ops port. `/registry` lists
/// every tenant's brokers, groups, topics and errors, and a reload re-pins entries, so
/// both need an operator: the bearer token, or a loopback peer when that is trusted.
/// `/metrics`, `/healthz` and `/readyz` stay open.
public struct OpsAccess: Sendable, Hashable {
    /// A file holding the operators' bearer token (`--admin-token-file`); re-read on
    /// every request, so it rotates without a restart. `nil`: no token is accepted.
    public var adminTokenFile: String?
    /// Loopback peers count as operators (`--ops-trust-loopback`). Off by default:
    /// behind a service-mesh sidecar every client arrives from loopback.
    public var trustLoopback: Bool
    /// `GET /registry` is open to anyone who reaches the port (`--ops-open-registry`);
    /// reload still needs an operator.
    public var openRegistry: Bool

    public init(adminTokenFile: String?, trustLoopback: Bool, openRegistry: Bool) {
        self.adminTokenFile = adminTokenFile
        self.trustLoopback = trustLoopback
        self.openRegistry = openRegistry
    }

    /// No token, loopback not trusted, registry closed: only `/metrics`, `/healthz`, `/readyz` answer.
    public static var defaults: Self { Self(adminTokenFile: nil, trustLoopback: false, openRegistry: false) }
}
