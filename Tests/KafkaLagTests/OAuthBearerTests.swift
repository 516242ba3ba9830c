import Foundation
import KafkaLag
import Testing

/// SASL/OAUTHBEARER without a network: the `oauthToken` profile key, the static token
/// source, JWT claims, and that a token never shows in a description.
@Suite("OAUTHBEARER tokens")
struct OAuthBearerTests {
    static let base = ["bootstrapServers": "b:9092", "consumerGroup": "g", "topic": "t", "sasl": "oauthbearer"]

    /// An unsigned JWT with the given payload (the client never checks signatures).
    static func jwt(_ payload: [String: Any]) -> String {
        func encode(_ object: [String: Any]) -> String {
            let data = try! JSONSerialization.data(withJSONObject: object)
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return encode(["alg": "HS256"]) + "." + encode(payload) + ".c2lnbmF0dXJl"
    }

    @Test("a JWT gives its exp and sub; anything else is no JWT")
    func claims() {
        let claims = JWTClaims(token: Self.jwt(["exp": 2_000_000_000, "sub": "svc"]))
        #expect(claims?.expiry == Date(timeIntervalSince1970: 2_000_000_000))
        #expect(claims?.subject == "svc")
        #expect(JWTClaims(token: Self.jwt(["scope": "x"])) == JWTClaims(token: Self.jwt(["scope": "y"])))
        #expect(JWTClaims(token: Self.jwt(["scope": "x"]))?.expiry == nil)
        for opaque in ["opaque-token", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", ""] {
            #expect(JWTClaims(token: opaque) == nil, "\(opaque)")
        }
    }

    @Test("a static JWT lasts until its exp and names its sub; an opaque one lasts an hour")
    func staticSource() throws {
        let exp = Date().addingTimeInterval(600).timeIntervalSince1970.rounded(.down)
        let token = try StaticOAuthTokenSource(value: Self.jwt(["exp": exp, "sub": "svc-a"]), extensions: ["k": "v"]).token()
        #expect(token.expiry == Date(timeIntervalSince1970: exp))
        #expect(token.principal == "svc-a")
        #expect(token.extensions == ["k": "v"])
        let opaque = try StaticOAuthTokenSource(value: "opaque", extensions: [:]).token()
        #expect(abs(opaque.expiry.timeIntervalSinceNow - StaticOAuthTokenSource.opaqueLifetime) < 5)
        #expect(opaque.principal == StaticOAuthTokenSource.defaultPrincipal)
    }

    @Test("an expired static token is unauthenticated, without its value")
    func expiredStatic() {
        let value = Self.jwt(["exp": 1_000_000_000, "sub": "svc"])
        let error = #expect(throws: KafkaLagError.self) { try StaticOAuthTokenSource(value: value, extensions: [:]).token() }
        #expect(error?.code == .unauthenticated)
        #expect(error?.message.contains("expired") == true)
        #expect(error?.message.contains(value) == false)
    }

    @Test("oauthToken in the profile replaces the client credentials KEDA's bearer provider needs")
    func profileToken() throws {
        let trigger = try KafkaTrigger(metadata: Self.base, profile: ["oauthToken": "tok-123", "oauthExtensions": "a=1"])
        let oauth = try #require(trigger.source.connection.security.oauthBearer)
        #expect(oauth.tokenProvider == .bearer)
        #expect(oauth.staticToken == "tok-123")
        #expect(oauth.extensions == ["a": "1"])
        // Without it, KEDA's checks stand, and a bad extension is still refused with it.
        #expect(throws: KafkaLagError.self) { try KafkaTrigger(metadata: Self.base, profile: [:]) }
        let bad = #expect(throws: KafkaLagError.self) {
            try KafkaTrigger(metadata: Self.base, profile: ["oauthToken": "tok", "oauthExtensions": "novalue"])
        }
        #expect(bad?.message.contains("invalid OAuthBearer extension, must be of format key=value") == true)
    }

    @Test("the token is part of the connection fingerprint and never of a description")
    func redaction() throws {
        let one = try KafkaTrigger(metadata: Self.base, profile: ["oauthToken": "secret-token-1"]).source
        let two = try KafkaTrigger(metadata: Self.base, profile: ["oauthToken": "secret-token-2"]).source
        #expect(one.connection.fingerprint != two.connection.fingerprint)
        for text in [String(describing: one), String(reflecting: one), String(describing: one.connection.security)] {
            #expect(!text.contains("secret-token-1"))
        }
        let token = OAuthToken(value: "secret-token-1", expiry: Date(), principal: "p")
        #expect(!String(describing: token).contains("secret-token-1"))
        #expect(!String(reflecting: token).contains("secret-token-1"))
    }
}
