import Testing

@testable import GRPCServerNIO

@Suite struct TLSFilesTests {
    @Test func noFilesMeansPlaintext() throws {
        #expect(try TLSFiles.validated(certificateChain: nil, privateKey: nil, clientCA: nil) == nil)
    }

    @Test func certificateAndKeyServeTLSWithOptionalClientCA() throws {
        let plain = try #require(try TLSFiles.validated(certificateChain: "/c.pem", privateKey: "/k.pem", clientCA: nil))
        #expect(plain == TLSFiles(certificateChain: "/c.pem", privateKey: "/k.pem"))
        let mutual = try #require(try TLSFiles.validated(certificateChain: "/c.pem", privateKey: "/k.pem", clientCA: "/ca.pem"))
        #expect(mutual.clientCA == "/ca.pem")
        #expect(mutual.paths.map(\.role) == [.certificateChain, .privateKey, .clientCA])
    }

    @Test(
        arguments: [
            ("/c.pem", nil, nil, TLSSetupError.Code.missingFile, TLSFiles.Role.privateKey),
            ("/c.pem", nil, "/ca.pem", .missingFile, .privateKey),
            (nil, "/k.pem", nil, .missingFile, .certificateChain),
            (nil, "/k.pem", "/ca.pem", .missingFile, .certificateChain),
            (nil, nil, "/ca.pem", .clientCAWithoutCertificate, .clientCA),
        ] as [(String?, String?, String?, TLSSetupError.Code, TLSFiles.Role)])
    func incompleteSetsNameTheFileToFix(
        certificate: String?, key: String?, clientCA: String?, code: TLSSetupError.Code, role: TLSFiles.Role
    ) {
        #expect(throws: TLSSetupError(code, role: role, path: role == .clientCA ? clientCA : nil)) {
            try TLSFiles.validated(certificateChain: certificate, privateKey: key, clientCA: clientCA)
        }
    }

    @Test func messagesUseTheCallersNames() {
        let missing = TLSSetupError(.missingFile, role: .privateKey)
        #expect(
            missing.describe { "--\($0 == .privateKey ? "key" : "other")" }
                == "--key is not set, but TLS needs both a certificate chain and its private key")
        let unreadable = TLSSetupError(.unreadableFile, role: .clientCA, path: "/x/ca.pem", detail: "No such file or directory")
        #expect(unreadable.description == "TLS client CA file '/x/ca.pem' cannot be read: No such file or directory")
    }
}
