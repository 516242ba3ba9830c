public import Foundation
public import KafkaLag
import NIOHTTP1

/// KEDA's `bearer` token provider: the OAuth 2 client-credentials grant (RFC 6749
/// §4.4) as golang.org/x/oauth2's `clientcredentials` sends it: a form POST with
/// `grant_type` and the `scopes` joined by spaces, the client id and secret in HTTP
/// Basic authentication; `oauthExtensions` go with every token.
public struct ClientCredentialsTokenSource: OAuthTokenSource {
    /// How long a token without `expires_in` or a JWT `exp` is taken to last.
    public static let unknownLifetime: TimeInterval = 3600

    private let endpoint: HTTP1Client.Endpoint
    private let clientID: String
    private let clientSecret: String
    private let scopes: [String]
    private let extensions: [String: String]
    private let timeout: Duration

    /// - Throws: `invalidMetadata` when `oauthTokenEndpointUri` is not an http(s) URL.
    public init(settings: OAuthBearerSettings, clientID: String, clientSecret: String, timeout: Duration) throws(KafkaLagError) {
        let parsed: HTTP1Client.Endpoint?
        do {
            parsed = try HTTP1Client.Endpoint(url: settings.tokenEndpointURI)
        } catch {
            throw KafkaLagError(.internalError, "cannot set up TLS for the token endpoint: \(error)")
        }
        guard let parsed else { throw KafkaLagError(.invalidMetadata, "oauthTokenEndpointUri is not an http or https URL") }
        self.endpoint = parsed
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = settings.scopes
        self.extensions = settings.extensions
        self.timeout = timeout
    }

    public func token() async throws(KafkaLagError) -> OAuthToken {
        let response: HTTP1Client.Response
        do {
            response = try await HTTP1Client.send(
                .POST, endpoint.target, host: endpoint.host, port: endpoint.port,
                headers: [
                    ("Authorization", "Basic " + Data("\(Self.formEncode(clientID)):\(Self.formEncode(clientSecret))".utf8).base64EncodedString()),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Accept", "application/json"),
                ],
                body: Array(formBody.utf8), tls: endpoint.tls, timeout: timeout, maxResponseBytes: 64 * 1024
            )
        } catch {
            throw KafkaLagError(.unavailable, "token endpoint \(endpoint.shown): \(error.description)")
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
            throw KafkaLagError(code, "token endpoint \(endpoint.shown) answered \(response.status.code)\(reason.isEmpty ? "" : " (\(reason))")")
        }
        guard let object, let value = object["access_token"] as? String, !value.isEmpty else {
            throw KafkaLagError(.unavailable, "token endpoint \(endpoint.shown) answered without an access_token")
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
