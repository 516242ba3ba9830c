public import Foundation

/// AWS Signature Version 4 (the canonical request, the string to sign, the derived
/// signing key) for MSK IAM's presigned `kafka-cluster:Connect` URL. Checked against
/// AWS's published vectors: the test suite's `get-vanilla` and S3's presigned-URL example.
public struct SigV4: Sendable {
    /// An access key pair, with the session token of temporary credentials.
    public struct Credentials: Sendable, Hashable {
        public var accessKeyID: String
        /// A secret.
        public var secretAccessKey: String
        /// A secret.
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// The payload hash of a request without a body.
    public static let emptyPayloadHash = SHA256.hex(SHA256.digest([]))

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `20150830T123600Z` and `20150830` for `date`, in UTC.
    public static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: date)
        return (amzDate, String(amzDate.prefix(8)))
    }

    /// `day/region/service/aws4_request`.
    public func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// The canonical request: method, path, sorted and encoded query, the signed
    /// headers (lower-case names, trimmed values), their names, the payload hash.
    public static func canonicalRequest(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String
    ) -> String {
        let canonicalQuery = query.map { (encode($0.0), encode($0.1)) }.sorted { $0 < $1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalHeaders = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }.sorted { $0.0 < $1.0 }
        return [
            method, path, canonicalQuery,
            canonicalHeaders.map { "\($0.0):\($0.1)\n" }.joined(),
            canonicalHeaders.map(\.0).joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }

    /// The hex signature of `canonicalRequest` made at `amzDate`.
    public func signature(canonicalRequest: String, amzDate: String) -> String {
        let day = String(amzDate.prefix(8))
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope(day: day), SHA256.hex(SHA256.digest(Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] {
            key = SHA256.hmac(key: key, Array(part.utf8))
        }
        return SHA256.hex(SHA256.hmac(key: key, Array(stringToSign.utf8)))
    }

    /// A presigned URL's query (RFC 3986-encoded, signature last) for `method host path`
    /// with `parameters`, valid `expires` seconds from `date`; only `host` is signed.
    public func presignedQuery(
        method: String = "GET", host: String, path: String = "/", parameters: [(String, String)],
        date: Date, expires: Int, payloadHash: String = emptyPayloadHash
    ) -> String {
        let (amzDate, day) = Self.timestamps(date)
        var query =
            parameters + [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(day: day))"),
                ("X-Amz-Date", amzDate),
                ("X-Amz-Expires", String(expires)),
                ("X-Amz-SignedHeaders", "host"),
            ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonical = Self.canonicalRequest(method: method, path: path, query: query, headers: [("host", host)], payloadHash: payloadHash)
        query.append(("X-Amz-Signature", signature(canonicalRequest: canonical, amzDate: amzDate)))
        // The signature goes last, the rest in canonical order, as AWS's SDKs write it.
        let signed = query.dropLast().map { (Self.encode($0.0), Self.encode($0.1)) }.sorted { $0 < $1 } + [("X-Amz-Signature", query.last!.1)]
        return signed.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// The headers that sign `method https://host path` with `body` at `date` in the
    /// `Authorization` header (for calls such as STS AssumeRole): `headers` plus
    /// `x-amz-date`, `x-amz-security-token` for temporary credentials, and `authorization`.
    public func signedHeaders(
        method: String, host: String, path: String = "/", headers: [(String, String)], body: [UInt8], date: Date
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var signed = headers + [("host", host), ("x-amz-date", amzDate)]
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        let canonical = Self.canonicalRequest(
            method: method, path: path, query: [], headers: signed, payloadHash: SHA256.hex(SHA256.digest(body))
        )
        let names = signed.map { $0.0.lowercased() }.sorted().joined(separator: ";")
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(day: day)), SignedHeaders=\(names), Signature=\(signature(canonicalRequest: canonical, amzDate: amzDate))"
        return signed.filter { $0.0.lowercased() != "host" } + [("authorization", authorization)]
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
