import Foundation
import GRPCCore
import Logging
import NIOCore
import NIOHTTP1
import ScalerRegistry

/// One ops request, reduced to what routing needs.
struct OpsRequest {
    var method: HTTPMethod
    var path: String
    var query: [String: String]
    var authorization: String?
    var fromLoopback: Bool

    init(head: HTTPRequestHead, peer: SocketAddress?) {
        let components = URLComponents(string: head.uri)
        method = head.method
        path = components?.path ?? head.uri
        query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        authorization = head.headers.first(name: "authorization")
        fromLoopback = peer.map(Self.isLoopback) ?? false
    }

    init(method: HTTPMethod, path: String, query: [String: String] = [:], authorization: String? = nil, fromLoopback: Bool) {
        self.method = method
        self.path = path
        self.query = query
        self.authorization = authorization
        self.fromLoopback = fromLoopback
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4: address.ipAddress?.hasPrefix("127.") == true
        case .v6: address.ipAddress == "::1" || address.ipAddress?.hasPrefix("::ffff:127.") == true
        case .unixDomainSocket: true
        }
    }
}

/// An ops response.
struct OpsResponse {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]

    static func text(_ status: HTTPResponseStatus, _ text: String) -> Self {
        Self(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8))
    }

    static func json(_ value: some Encodable) -> Self {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)).map(Array.init) ?? Array(#"{"error":"encoding failed"}"#.utf8)
        return Self(status: .ok, contentType: "application/json", body: body)
    }
}

/// The ops endpoints. Routing is separate from the socket so tests can call it.
struct OpsRoutes: Sendable {
    let registry: ScalerRegistry
    let health: HealthStatusBoard
    let metrics: @Sendable () -> [UInt8]
    let access: OpsAccess
    let logger: Logger

    func respond(to request: OpsRequest) async -> OpsResponse {
        switch (request.method, request.path) {
        case (.GET, "/metrics"):
            return OpsResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics())
        case (.GET, "/healthz"):
            return .text(.ok, "ok")
        case (.GET, "/readyz"):
            return health.status(of: "") == .serving ? .text(.ok, "ready") : .text(.serviceUnavailable, "shutting down")
        case (.GET, "/registry"):
            guard access.openRegistry || authorized(request) else { return denied("GET /registry") }
            return .json(registry.status())
        case (.GET, "/registry/history"):
            guard access.openRegistry || authorized(request) else { return denied("GET /registry/history") }
            return history(request)
        case (.POST, "/registry/reload"):
            return await reload(request)
        case (_, "/metrics"), (_, "/healthz"), (_, "/readyz"), (_, "/registry"), (_, "/registry/history"), (_, "/registry/reload"):
            return .text(.methodNotAllowed, "method \(request.method) not allowed on \(request.path)")
        default:
            return .text(.notFound, "not found: \(request.path)")
        }
    }

    /// The events of ScaledObject `namespace`/`name`'s entries (optional `triggerName`).
    private func history(_ request: OpsRequest) -> OpsResponse {
        guard let namespace = request.query["namespace"], let name = request.query["name"] else {
            return .text(.badRequest, "give namespace and name (and optionally triggerName) of a ScaledObject")
        }
        let history = registry.history(namespace: namespace, name: name, triggerName: request.query["triggerName"])
        guard !history.entries.isEmpty else { return .text(.notFound, "no registry entry for \(namespace)/\(name)") }
        return .json(history)
    }

    /// Reloads one entry (`namespace` and `name`, optional `triggerName`) or all.
    private func reload(_ request: OpsRequest) async -> OpsResponse {
        guard authorized(request) else { return denied("POST /registry/reload") }
        let namespace = request.query["namespace"], name = request.query["name"]
        let key: RegistryKey?
        switch (namespace, name) {
        case (nil, nil):
            key = nil
        case (let namespace?, let name?):
            key = RegistryKey(namespace: namespace, name: name, triggerName: request.query["triggerName"] ?? "")
        default:
            return .text(.badRequest, "give both namespace and name to reload one entry, or neither to reload all")
        }
        let reloaded = await registry.reload(key)
        logger.notice("registry reload requested", metadata: ["key": "\(key.map(String.init(describing:)) ?? "all")", "reloaded": "\(reloaded)"])
        if let key, reloaded == 0, registry.pinned(key) == nil {
            return .text(.notFound, "no registry entry \(key)")
        }
        return .json(["reloaded": reloaded])
    }

    private func denied(_ what: String) -> OpsResponse {
        let loopback = access.trustLoopback ? "from loopback, or " : ""
        return .text(.forbidden, "\(what) is accepted \(loopback)with Authorization: Bearer <token of --admin-token-file>")
    }

    private func authorized(_ request: OpsRequest) -> Bool {
        if access.trustLoopback, request.fromLoopback { return true }
        guard let adminTokenFile = access.adminTokenFile, let header = request.authorization, header.hasPrefix("Bearer "),
            let token = try? String(contentsOfFile: adminTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        else { return false }
        return Self.constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), Array(token.utf8))
    }

    /// Compares without an early exit, so timing does not reveal the token.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
