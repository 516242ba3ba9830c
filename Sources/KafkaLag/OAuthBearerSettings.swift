/// SASL/OAUTHBEARER as the in-tree trigger configures it: a client-credentials
/// token provider (`bearer`) or AWS MSK IAM (`aws_msk_iam`).
public struct OAuthBearerSettings: Hashable, Sendable {
    /// Where tokens come from.
    public enum TokenProvider: Hashable, Sendable {
        /// OAuth 2 client-credentials flow against `tokenEndpointURI`.
        case bearer
        /// Tokens signed for AWS MSK IAM in `OAuthBearerSettings.awsRegion`.
        case awsMSKIAM
        /// A comma list that passed KEDA's enum check (`bearer,aws_msk_iam`) but names
        /// no single provider: KEDA accepts the metadata and its client then has no
        /// token provider, so connecting fails.
        case unrecognized(String)

        /// The `saslTokenProvider` value this provider stands for.
        public var name: String {
            switch self {
            case .bearer: "bearer"
            case .awsMSKIAM: "aws_msk_iam"
            case .unrecognized(let raw): raw
            }
        }
    }

    /// `saslTokenProvider`; `bearer` when unset.
    public var tokenProvider: TokenProvider
    /// `oauthTokenEndpointUri` (bearer).
    public var tokenEndpointURI: String
    /// `scopes` split on `,` without trimming, as KEDA does (`""` → `[""]`).
    public var scopes: [String]
    /// `oauthExtensions` (`k=v,k2=v2`), attached to every token.
    public var extensions: [String: String]
    /// `awsRegion` from the trigger metadata (MSK IAM).
    public var awsRegion: String
    /// Credentials for MSK IAM; `nil` for the bearer provider.
    public var awsCredentials: AWSCredentials?
    /// `oauthToken` from the auth profile (bearer): a token used as it is, instead of
    /// the client-credentials flow. A secret.
    public var staticToken: String?

    public init(
        tokenProvider: TokenProvider, tokenEndpointURI: String = "", scopes: [String] = [""],
        extensions: [String: String] = [:], awsRegion: String = "", awsCredentials: AWSCredentials? = nil,
        staticToken: String? = nil
    ) {
        self.tokenProvider = tokenProvider
        self.tokenEndpointURI = tokenEndpointURI
        self.scopes = scopes
        self.extensions = extensions
        self.awsRegion = awsRegion
        self.awsCredentials = awsCredentials
        self.staticToken = staticToken
    }
}
