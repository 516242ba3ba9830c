/// How MSK IAM tokens are signed, in KEDA's order of preference.
public enum AWSCredentials: Hashable, Sendable {
    /// `awsRoleArn`: assume this role.
    case role(arn: String)
    /// `awsAccessKeyID` + `awsSecretAccessKey` (+ `awsSessionToken`).
    case staticKeys(accessKeyID: String, secretAccessKey: String, sessionToken: String?)
    /// `identityOwner: operator`: the scaler's own default credential chain.
    case ambient
}
