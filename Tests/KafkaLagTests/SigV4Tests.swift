import Foundation
import KafkaLag
import Testing

/// The SigV4 signer against AWS's published vectors, and the MSK IAM token built on it.
@Suite("AWS SigV4 and MSK IAM tokens")
struct SigV4Tests {
    /// AWS's SigV4 test suite credentials and instant (2015-08-30T12:36:00Z).
    static let suite = SigV4(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service"
    )

    @Test("the test suite's get-vanilla request")
    func getVanilla() {
        let canonical = SigV4.canonicalRequest(
            method: "GET", path: "/", query: [],
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")], payloadHash: SigV4.emptyPayloadHash
        )
        #expect(
            canonical == """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            Self.suite.signature(canonicalRequest: canonical, amzDate: "20150830T123600Z")
                == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test("get-vanilla signed in the Authorization header, as STS calls are")
    func getVanillaHeaders() {
        let headers = Self.suite.signedHeaders(
            method: "GET", host: "example.amazonaws.com", headers: [], body: [], date: Date(timeIntervalSince1970: 1_440_938_160)
        )
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20150830T123600Z")
        #expect(
            headers.first { $0.0 == "authorization" }?.1 == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test("S3's documented presigned URL (GET /test.txt for 86,400 s)")
    func s3Presign() {
        let signer = SigV4(
            credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "s3"
        )
        let query = signer.presignedQuery(
            host: "examplebucket.s3.amazonaws.com", path: "/test.txt", parameters: [],
            date: Date(timeIntervalSince1970: 1_369_353_600), expires: 86_400, payloadHash: "UNSIGNED-PAYLOAD"
        )
        #expect(
            query == "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test("RFC 3986 encoding: unreserved characters stay, everything else is %XX")
    func encoding() {
        #expect(SigV4.encode("kafka-cluster:Connect") == "kafka-cluster%3AConnect")
        #expect(SigV4.encode("a b/c+d=e~f_g.h-i") == "a%20b%2Fc%2Bd%3De~f_g.h-i")
        #expect(SigV4.encode("ü") == "%C3%BC")
    }

    @Test("an MSK IAM token is the presigned kafka-cluster:Connect URL, base64url without padding")
    func mskToken() async throws {
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let source = MSKIAMTokenSource(
            region: "eu-west-1",
            credentials: .staticKeys(
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session/token+1")
        )
        let token = try await source.token(at: date)
        #expect(!token.value.contains("=") && !token.value.contains("+") && !token.value.contains("/"))
        #expect(token.expiry == date.addingTimeInterval(900))
        var base64 = token.value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let url = try #require(Data(base64Encoded: base64).flatMap { String(data: $0, encoding: .utf8) })
        let components = try #require(URLComponents(string: url))
        #expect(components.host == "kafka.eu-west-1.amazonaws.com")
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["Action"] == "kafka-cluster:Connect")
        #expect(query["X-Amz-Credential"] == "AKIDEXAMPLE/20150830/eu-west-1/kafka-cluster/aws4_request")
        #expect(query["X-Amz-Date"] == "20150830T123600Z")
        #expect(query["X-Amz-Expires"] == "900")
        #expect(query["X-Amz-Security-Token"] == "session/token+1")
        #expect(query["X-Amz-SignedHeaders"] == "host")
        // Re-sign what the URL says: the signature covers every parameter but itself and the agent.
        let signed = (components.queryItems ?? []).filter { !["X-Amz-Signature", "User-Agent"].contains($0.name) }.map { ($0.name, $0.value ?? "") }
        let canonical = SigV4.canonicalRequest(
            method: "GET", path: "/", query: signed, headers: [("host", "kafka.eu-west-1.amazonaws.com")], payloadHash: SigV4.emptyPayloadHash
        )
        let signer = SigV4(
            credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "eu-west-1", service: "kafka-cluster")
        #expect(query["X-Amz-Signature"] == signer.signature(canonicalRequest: canonical, amzDate: "20150830T123600Z"))
    }

    @Test("operator credentials come from the environment; without them, or with a role, no token")
    func mskCredentials() async throws {
        let ambient = MSKIAMTokenSource(
            region: "us-east-1", credentials: .ambient,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret"])
        #expect(try await ambient.token().principal == MSKIAMTokenSource.principal)
        let missing = await #expect(throws: KafkaLagError.self) {
            try await MSKIAMTokenSource(region: "us-east-1", credentials: .ambient, environment: [:]).token()
        }
        #expect(missing?.code == .unauthenticated)
        #expect(missing?.message.hasPrefix("error getting AWS authorization: ") == true)
        let role = await #expect(throws: KafkaLagError.self) {
            try await MSKIAMTokenSource(region: "us-east-1", credentials: .role(arn: "arn:aws:iam::1:role/r")).token()
        }
        #expect(role?.message.contains("awsRoleArn") == true)
    }
}
