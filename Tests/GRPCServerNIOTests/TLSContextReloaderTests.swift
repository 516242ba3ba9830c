import Logging
import Testing

@testable import GRPCServerNIO

/// Loading and reloading real certificates made by openssl.
@Suite struct TLSContextReloaderTests {
    private static let logger = Logger(label: "test.tls")

    @Test func loadsTheCertificateAndReportsItsSerial() throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.install("server1")
        let reloader = try TLSContextReloader(files: directory.files(mutual: true), logger: Self.logger)
        #expect(reloader.identity.serialNumber == "1001")
        #expect(reloader.identity.notValidAfter > 0)
        #expect(reloader.checkFiles() == false)
    }

    @Test func rotationSwapsTheIdentityAndBadRotationsKeepIt() throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.install("server1")
        let reloader = try TLSContextReloader(files: directory.files(), logger: Self.logger)
        let first = reloader.identity.context

        try directory.install("server2")
        #expect(reloader.checkFiles())
        #expect(reloader.identity.serialNumber == "2002")
        #expect(reloader.identity.context !== first)

        try directory.copy("server1.key", to: "tls.key")
        #expect(reloader.checkFiles() == false)
        #expect(reloader.identity.serialNumber == "2002")

        try directory.write("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", to: "tls.crt")
        #expect(reloader.checkFiles() == false)
        try directory.delete("tls.crt")
        #expect(reloader.checkFiles() == false)
        #expect(reloader.identity.serialNumber == "2002")

        try directory.install("server1")
        #expect(reloader.checkFiles())
        #expect(reloader.identity.serialNumber == "1001")
    }

    @Test(arguments: [
        ("tls.crt", TLSSetupError.Code.invalidCertificate, TLSFiles.Role.certificateChain),
        ("tls.key", .invalidPrivateKey, .privateKey),
        ("ca.crt", .invalidClientCA, .clientCA),
    ])
    func invalidPEMNamesTheFile(file: String, code: TLSSetupError.Code, role: TLSFiles.Role) throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.install("server1")
        try directory.write("not PEM at all\n", to: file)
        let error = try #require(throws: TLSSetupError.self) { try TLSIdentity(loading: directory.files(mutual: true)) }
        #expect(error.code == code)
        #expect(error.role == role)
        #expect(error.path == directory.path(file))
    }

    @Test func aKeyOfAnotherCertificateIsAMismatch() throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.copy("server1.crt", to: "tls.crt")
        try directory.copy("server2.key", to: "tls.key")
        let error = try #require(throws: TLSSetupError.self) { try TLSIdentity(loading: directory.files()) }
        #expect(error.code == .keyMismatch)
        #expect(error.role == .privateKey)
    }

    @Test func aMissingFileIsUnreadable() throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.install("server1")
        try directory.delete("tls.key")
        let error = try #require(throws: TLSSetupError.self) { try TLSContextReloader(files: directory.files(), logger: Self.logger) }
        #expect(error.code == .unreadableFile)
        #expect(error.role == .privateKey)
        #expect(error.detail == "No such file or directory")
    }
}
