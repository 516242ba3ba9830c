public import Foundation
public import KafkaLag
import NIOHTTP1
import Synchronization

/// `awsRoleArn` for MSK IAM: STS AssumeRole (Query API, SigV4 in the `Authorization`
/// header) with the scaler's own credentials from its environment, the temporary keys kept
/// until five minutes before they expire. The endpoint is `sts.<region>.amazonaws.com`, or
/// `AWS_ENDPOINT_URL_STS` as AWS's SDKs read it (a VPC endpoint; the tests' stand-in).
public final class STSRoleAssumer: AWSRoleAssuming {
    /// Requested lifetime of assumed credentials (AssumeRole's default).
    public static let duration = 3600
    /// Assumed credentials are renewed this long before they expire.
    public static let renewal: TimeInterval = 300

    private let environment: [String: String]
    private let timeout: Duration
    private let cache = Mutex<[String: (credentials: SigV4.Credentials, expiry: Date)]>([:])

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration) {
        self.environment = environment
        self.timeout = timeout
    }

    public func credentials(forRole arn: String, region: String) async throws(KafkaLagError) -> SigV4.Credentials {
        let key = region + " " + arn
        if let cached = cache.withLock({ $0[key] }), cached.expiry.timeIntervalSinceNow > Self.renewal {
            return cached.credentials
        }
        let assumed = try await assume(arn, region: region)
        cache.withLock { $0[key] = assumed }
        return assumed.credentials
    }

    private func assume(_ arn: String, region: String) async throws(KafkaLagError) -> (credentials: SigV4.Credentials, expiry: Date) {
        let base = try MSKIAMTokenSource.environmentCredentials(environment)
        let parsed: HTTP1Client.Endpoint?
        do {
            parsed = try HTTP1Client.Endpoint(url: environment["AWS_ENDPOINT_URL_STS"] ?? "https://sts.\(region).amazonaws.com")
        } catch {
            throw KafkaLagError(.internalError, "error getting AWS authorization: cannot set up TLS for STS: \(error)")
        }
        guard let endpoint = parsed else {
            throw KafkaLagError(.invalidMetadata, "error getting AWS authorization: AWS_ENDPOINT_URL_STS is not an http(s) URL")
        }
        let body = Array(
            ([
                ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", arn),
                ("RoleSessionName", "keda-kafka-scaler"), ("DurationSeconds", String(Self.duration)),
            ].map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&")).utf8)
        let headers = SigV4(credentials: base, region: region, service: "sts").signedHeaders(
            method: "POST", host: endpoint.hostHeader, headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: body, date: Date()
        )
        let response: HTTP1Client.Response
        do {
            response = try await HTTP1Client.send(
                .POST, "/", host: endpoint.host, port: endpoint.port, headers: headers, body: body, tls: endpoint.tls,
                timeout: timeout, maxResponseBytes: 64 * 1024
            )
        } catch {
            throw KafkaLagError(.unavailable, "error getting AWS authorization: STS at \(endpoint.shown): \(error)")
        }
        let xml = response.text
        guard (200..<300).contains(response.status.code) else {
            let code = Self.element("Code", in: xml).map { " (\($0))" } ?? ""
            throw KafkaLagError(.unauthenticated, "error getting AWS authorization: STS AssumeRole of \(arn) answered \(response.status.code)\(code)")
        }
        guard let id = Self.element("AccessKeyId", in: xml), let secret = Self.element("SecretAccessKey", in: xml),
            let token = Self.element("SessionToken", in: xml)
        else {
            throw KafkaLagError(.unavailable, "error getting AWS authorization: STS AssumeRole answered without credentials")
        }
        let expiry =
            Self.element("Expiration", in: xml).flatMap { ISO8601DateFormatter().date(from: $0) }
            ?? Date(timeIntervalSinceNow: TimeInterval(Self.duration))
        return (SigV4.Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token), expiry)
    }

    /// The text of the first `<name>` element: STS answers are flat enough that reading
    /// them needs no XML library (and the runtime image has none).
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
