import Foundation
import KafkaLag
import NIOHTTP1
import NIOSSL

/// KEDA's `bearer` token provider: the OAuth 2 client-credentials grant (RFC 6749
/// §4.4) as golang.org/x/oauth2's `clientcredentials` sends it: a form POST with
/// `grant_type` and the `scopes` joined by spaces, the client id and secret in HTTP
/// Basic authentication; `oauthExtensions` go with every token.
public struct ClientCredentialsTokenSource: OAuthTokenSource {
    /// How long a token without `expires_in` or a JWT `exp` is taken to last.
    public static let unknownLifetime: TimeInterval = 3600

    private let endpoint: URLComponents
    private let clientID: String
    private let clientSecret: String
    private let scopes: [String]
    private let extensions: [String: String]
    private let timeout: Duration
    private let tls: NIOSSLContext?

    /// - Throws: `invalidMetadata` when `oauthTokenEndpointUri` is not an http(s) URL.
    public init(settings: OAuthBearerSettings, clientID: String, clientSecret: String, timeout: Duration) throws(KafkaLagError) {
        guard let endpoint = URLComponents(string: settings.tokenEndpointURI), let scheme = endpoint.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = endpoint.host, !host.isEmpty
        else {
            throw KafkaLagError(.invalidMetadata, "oauthTokenEndpointUri is not an http or https URL")
        }
        self.endpoint = endpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = settings.scopes
        self.extensions = settings.extensions
        self.timeout = timeout
        if scheme == "https" {
            do {
                tls = try NIOSSLContext(configuration: .makeClientConfiguration())
            } catch {
                throw KafkaLagError(.internalError, "cannot set up TLS for the token endpoint: \(error)")
            }
        } else {
            tls = nil
        }
    }

    private var endpointText: String {
        var shown = endpoint
        shown.query = nil
        shown.user = nil
        shown.password = nil
        return shown.string ?? "the token endpoint"
    }

    public func token() async throws(KafkaLagError) -> OAuthToken {
        let secure = tls != nil
        let port = endpoint.port ?? (secure ? 443 : 80)
        let path = (endpoint.percentEncodedPath.isEmpty ? "/" : endpoint.percentEncodedPath)
            + (endpoint.percentEncodedQuery.map { "?" + $0 } ?? "")
        let response: HTTP1Client.Response
        do {
            response = try await HTTP1Client.send(
                .POST, path, host: endpoint.host ?? "", port: port,
                headers: [
                    ("Authorization", "Basic " + Data("\(Self.formEncode(clientID)):\(Self.formEncode(clientSecret))".utf8).base64EncodedString()),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Accept", "application/json"),
                ],
                body: Array(formBody.utf8), tls: tls, timeout: timeout, maxResponseBytes: 64 * 1024
            )
        } catch {
            throw KafkaLagError(.unavailable, "token endpoint \(endpointText): \(error.description)")
        }
        return try parse(response)
    }

    /// `grant_type=client_credentials`, plus `scope` whenever scopes are configured
    /// (KEDA's default `[""]` sends an empty one, as x/oauth2 does).
    private var formBody: String {
        var body = "grant_type=client_credentials"
        if !scopes.isEmpty { body += "&scope=" + Self.formEncode(scopes.joined(separator: " ")) }
        return body
    }

    private func parse(_ response: HTTP1Client.Response) throws(KafkaLagError) -> OAuthToken {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200..<300).contains(response.status.code) else {
            // Only the standard error fields: a body may echo what was sent.
            let reason = [object?["error"] as? String, object?["error_description"] as? String].compactMap { $0 }.joined(separator: ": ")
            let code: KafkaLagError.Code = response.status.code == 400 || response.status.code == 401 ? .unauthenticated : .unavailable
            throw KafkaLagError(code, "token endpoint \(endpointText) answered \(response.status.code)\(reason.isEmpty ? "" : " (\(reason))")")
        }
        guard let object, let value = object["access_token"] as? String, !value.isEmpty else {
            throw KafkaLagError(.unavailable, "token endpoint \(endpointText) answered without an access_token")
        }
        let claims = JWTClaims(token: value)
        // The earlier of `expires_in` and the JWT's own `exp`: an integer `exp` can fall up
        // to a second before `expires_in` says, and the broker goes by `exp`.
        let stated = (object["expires_in"] as? NSNumber).map { Date(timeIntervalSinceNow: $0.doubleValue) }
        let expiry = [stated, claims?.expiry].compactMap { $0 }.min() ?? Date(timeIntervalSinceNow: Self.unknownLifetime)
        return OAuthToken(value: value, expiry: expiry, principal: claims?.subject ?? clientID, extensions: extensions)
    }

    /// `application/x-www-form-urlencoded` as Go's `url.QueryEscape`.
    private static func formEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~ ")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: " ", with: "+")
    }
}
