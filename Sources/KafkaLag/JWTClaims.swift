public import Foundation

/// The two claims of a JSON Web Token that SASL/OAUTHBEARER needs: when it expires
/// and whom it names. Read without verifying the signature: the broker verifies it,
/// the client only needs to know when to ask for the next one.
public struct JWTClaims: Sendable, Equatable {
    /// `exp`.
    public var expiry: Date?
    /// `sub`.
    public var subject: String?

    /// nil when `token` is not a JWT (three base64url parts, a JSON object in the middle).
    public init?(token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Self.base64URLDecode(parts[1]),
            let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        else { return nil }
        expiry = (object["exp"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
        subject = object["sub"] as? String
    }

    private static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
