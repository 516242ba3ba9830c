public import Foundation

/// KEDA's `aws_msk_iam` token provider, as aws-msk-iam-sasl-signer-go builds it: a
/// SigV4-presigned `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect`
/// (service `kafka-cluster`, valid 15 minutes), base64url-encoded without padding. It is
/// computed locally: no request leaves the process.
public struct MSKIAMTokenSource: OAuthTokenSource {
    /// X-Amz-Expires of every token, in seconds (the signer's default).
    public static let lifetime = 900
    /// Sent as the token's principal; MSK reads the identity from the signature.
    public static let principal = "aws-msk-iam"

    private let region: String
    private let credentials: AWSCredentials
    private let environment: [String: String]
    private let roles: (any AWSRoleAssuming)?

    /// `environment` stands in for the scaler's own credential chain
    /// (`identityOwner: operator`): `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`; `roles` assumes `awsRoleArn`.
    public init(
        region: String, credentials: AWSCredentials, environment: [String: String] = ProcessInfo.processInfo.environment,
        roles: (any AWSRoleAssuming)? = nil
    ) {
        self.region = region
        self.credentials = credentials
        self.environment = environment
        self.roles = roles
    }

    public func token() async throws(KafkaLagError) -> OAuthToken {
        try await token(at: Date())
    }

    /// The token signed at `date` (tests pin the clock).
    public func token(at date: Date) async throws(KafkaLagError) -> OAuthToken {
        let keys = try await signingKeys()
        let host = "kafka.\(region).amazonaws.com"
        let query = SigV4(credentials: keys, region: region, service: "kafka-cluster")
            .presignedQuery(host: host, parameters: [("Action", "kafka-cluster:Connect")], date: date, expires: Self.lifetime)
        // Unsigned and after the signature, as the signer adds its own.
        let url = "https://\(host)/?\(query)&User-Agent=keda-kafka-scaler"
        let value = Data(url.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return OAuthToken(value: value, expiry: date.addingTimeInterval(TimeInterval(Self.lifetime)), principal: Self.principal)
    }

    private func signingKeys() async throws(KafkaLagError) -> SigV4.Credentials {
        switch credentials {
        case .staticKeys(let accessKeyID, let secretAccessKey, let sessionToken):
            return SigV4.Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
        case .ambient:
            return try Self.environmentCredentials(environment)
        case .role(let arn):
            guard let roles else {
                throw KafkaLagError(.unauthenticated, "error getting AWS authorization: nothing can assume awsRoleArn here")
            }
            return try await roles.credentials(forRole: arn, region: region)
        }
    }

    /// The scaler's own credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN` (the first link of AWS's default chain).
    public static func environmentCredentials(_ environment: [String: String]) throws(KafkaLagError) -> SigV4.Credentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw KafkaLagError(
                .unauthenticated, "error getting AWS authorization: the scaler's environment has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return SigV4.Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}
