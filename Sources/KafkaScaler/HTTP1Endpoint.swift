import Foundation
public import NIOSSL

extension HTTP1Client {
    /// An http(s) URL parsed once for the requests sent to it (OAuth token endpoints,
    /// STS): where to connect, the request target, the `Host` header a signature must
    /// cover, and, for https, a TLS context checking the system's trust roots.
    public struct Endpoint: Sendable {
        public let host: String
        public let port: Int
        /// Path and query, as the request line carries them.
        public let target: String
        public let tls: NIOSSLContext?
        /// The URL without query or user information, for error messages.
        public let shown: String

        /// nil when `url` is not an http or https URL with a host.
        public init?(url: String) throws {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
            else { return nil }
            self.host = host
            tls = scheme == "https" ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
            port = components.port ?? (tls == nil ? 80 : 443)
            target =
                (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
                + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            var shown = components
            shown.query = nil
            shown.user = nil
            shown.password = nil
            self.shown = shown.string ?? host
        }

        /// The `Host` header ``HTTP1Client/send(_:_:host:port:headers:body:tls:timeout:maxResponseBytes:)`` sends.
        public var hostHeader: String { HTTP1Client.hostHeader(host: host, port: port, secure: tls != nil) }
    }

    /// `Host` without the scheme's own port, as a browser sends it (a SigV4 signature covers it).
    static func hostHeader(host: String, port: Int, secure: Bool) -> String {
        port == (secure ? 443 : 80) ? host : "\(host):\(port)"
    }
}
