import Foundation
import GRPCServerNIO

/// A temporary directory with certificates made by the `openssl` command: a CA and two server
/// certificates it issued (serials 1001 and 2002). Removed by `remove()`.
struct TLSTestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kks-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "2", "-subj", "/CN=kks unit test CA", "-addext", "basicConstraints=critical,CA:TRUE"
        )
        try write("subjectAltName=IP:127.0.0.1,DNS:localhost\n", to: "server.ext")
        for (name, serial) in [("server1", "0x1001"), ("server2", "0x2002")] {
            try openssl(
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
                "-out", "\(name).csr", "-subj", "/CN=\(name)"
            )
            try openssl(
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", serial,
                "-days", "2", "-extfile", "server.ext", "-out", "\(name).crt"
            )
        }
    }

    /// The absolute path of `name` in the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Replaces `name` with `text`.
    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name), options: .atomic)
    }

    /// Replaces `name` with a copy of `source`.
    func copy(_ source: String, to name: String) throws {
        try Data(contentsOf: url.appendingPathComponent(source)).write(to: url.appendingPathComponent(name), options: .atomic)
    }

    /// Deletes `name`.
    func delete(_ name: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(name))
    }

    /// `tls.crt` and `tls.key` in the directory, and `ca.crt` as client CA when `mutual`.
    func files(mutual: Bool = false) -> TLSFiles {
        TLSFiles(certificateChain: path("tls.crt"), privateKey: path("tls.key"), clientCA: mutual ? path("ca.crt") : nil)
    }

    /// Installs a server certificate and its key as `tls.crt` and `tls.key`.
    func install(_ server: String) throws {
        try copy("\(server).key", to: "tls.key")
        try copy("\(server).crt", to: "tls.crt")
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(arguments: arguments, status: process.terminationStatus)
        }
    }
}

/// The `openssl` command failed while making test certificates.
struct OpenSSLFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    var description: String { "openssl \(arguments.joined(separator: " ")) exited with \(status)" }
}
