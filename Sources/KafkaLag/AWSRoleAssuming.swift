/// Turns `awsRoleArn` into temporary credentials (STS AssumeRole). A protocol because the
/// call needs HTTPS, which the transport layer brings; MSK IAM signing itself stays local.
public protocol AWSRoleAssuming: Sendable {
    /// Credentials of `arn`, valid for at least a token's lifetime.
    func credentials(forRole arn: String, region: String) async throws(KafkaLagError) -> SigV4.Credentials
}
