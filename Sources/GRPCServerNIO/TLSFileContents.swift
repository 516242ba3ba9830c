#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PEM bytes of every configured TLS file, read at one moment. The reloader compares
/// whole contents rather than modification times: the files are a few KiB, and bytes catch
/// what timestamps miss (two same-size writes in one clock tick, a Secret volume's link swap).
struct TLSFileContents: Sendable, Hashable {
    /// PEM files larger than this are refused rather than read (a chain is a few KiB).
    static let maximumFileSize = 1 << 20

    var certificateChain: [UInt8]
    var privateKey: [UInt8]
    var clientCA: [UInt8]?

    /// Reads every file of `files`, failing on the first one that cannot be read.
    init(reading files: TLSFiles) throws(TLSSetupError) {
        certificateChain = try Self.readFile(files.certificateChain, role: .certificateChain)
        privateKey = try Self.readFile(files.privateKey, role: .privateKey)
        clientCA = try files.clientCA.map { path throws(TLSSetupError) in try Self.readFile(path, role: .clientCA) }
    }

    /// The whole file, or an error with the operating system's reason.
    private static func readFile(_ path: String, role: TLSFiles.Role) throws(TLSSetupError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TLSSetupError(.unreadableFile, role: role, path: path, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw TLSSetupError(.unreadableFile, role: role, path: path, detail: String(cString: strerror(errno)))
            }
            bytes += chunk[..<count]
            guard bytes.count <= maximumFileSize else {
                throw TLSSetupError(.unreadableFile, role: role, path: path, detail: "larger than \(maximumFileSize) bytes")
            }
        }
    }
}
