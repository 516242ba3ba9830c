import Foundation

/// Supplies auth profiles: the server-side stand-in for TriggerAuthentication,
/// which KEDA never forwards to external scalers (DESIGN.md §3.3).
public protocol AuthProfileProvider: Sendable {
    /// The key/value pairs of the profile `name`. A profile that does not exist
    /// throws ``KafkaLagError/Code/invalidMetadata`` `auth profile "<name>" not found`.
    func profile(named name: String) throws(KafkaLagError) -> [String: String]
}

/// Profiles as directories `<root>/<name>/` with one file per key: the layout
/// of a mounted Kubernetes Secret. Read on every call, so rotated Secrets are
/// picked up the next time a source is resolved.
public struct AuthProfileDirectory: AuthProfileProvider {
    /// The `--auth-profiles` directory; `nil` when none is configured, so every
    /// profile is "not found".
    public var root: String?
    /// Larger files are refused: a key is a credential or PEM, never bulk data.
    public var maximumFileSize: Int
    /// Files readable by others (mode `o+r`) are refused unless this is set
    /// (`--allow-readable-profiles`), as ssh refuses a readable private key.
    public var allowReadableByOthers: Bool

    /// Room for a long certificate chain.
    public static let defaultMaximumFileSize = 1 << 20

    public init(root: String?, maximumFileSize: Int = Self.defaultMaximumFileSize, allowReadableByOthers: Bool = false) {
        self.root = root
        self.maximumFileSize = maximumFileSize
        self.allowReadableByOthers = allowReadableByOthers
    }

    /// Reads every visible regular file of the profile directory. Entries whose
    /// names start with `.` are skipped: a mounted Secret keeps its real files in
    /// `..data`/`..<timestamp>` and exposes each key as a symlink into it.
    /// Values are trimmed; blank files count as absent.
    public func profile(named name: String) throws(KafkaLagError) -> [String: String] {
        let notFound = KafkaLagError(.invalidMetadata, "auth profile \(GoSyntax.quote(name)) not found")
        guard let root, Self.isPlainName(name) else { throw notFound }
        let directory = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(name, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue,
            let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { throw notFound }

        var values: [String: String] = [:]
        for entry in entries where !entry.hasPrefix(".") {
            let file = directory.appendingPathComponent(entry).resolvingSymlinksInPath()
            guard let attributes = try? file.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]),
                attributes.isRegularFile == true
            else { continue }
            if !allowReadableByOthers,
                let mode = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.posixPermissions] as? Int, mode & 0o004 != 0
            {
                throw KafkaLagError(
                    .failedPrecondition,
                    "auth profile \(GoSyntax.quote(name)) key \(GoSyntax.quote(entry)) is readable by others (mode \(String(mode & 0o777, radix: 8))): "
                        + "mount the Secret with defaultMode 0400, or start with --allow-readable-profiles true"
                )
            }
            if let size = attributes.fileSize, size > maximumFileSize {
                throw KafkaLagError(
                    .invalidMetadata, "auth profile \(GoSyntax.quote(name)) key \(GoSyntax.quote(entry)) is larger than \(maximumFileSize) bytes")
            }
            // Blank counts as absent; and Foundation's Data(contentsOf:) leaks its 4 KiB
            // buffer on an empty file (found by Fuzz/AuthProfileFuzzer).
            if attributes.fileSize == 0 { continue }
            guard let data = try? Data(contentsOf: file) else {
                throw KafkaLagError(.invalidMetadata, "auth profile \(GoSyntax.quote(name)) key \(GoSyntax.quote(entry)) cannot be read")
            }
            // A keytab is binary, as in KEDA's TriggerAuthentication: kept as base64.
            if Self.binaryKeys.contains(entry) {
                values[entry] = data.base64EncodedString()
                continue
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw KafkaLagError(.invalidMetadata, "auth profile \(GoSyntax.quote(name)) key \(GoSyntax.quote(entry)) is not UTF-8 text")
            }
            let trimmed = GoSyntax.trimSpace(text)
            if !trimmed.isEmpty { values[entry] = trimmed }
        }
        return values
    }

    /// A value that changes whenever the profile's files do, cheap enough to poll: a
    /// mounted Secret's `..data` link target (Kubernetes swaps it atomically on update),
    /// else every file's name, size and modification time. nil when the profile is gone.
    public func stamp(named name: String) -> String? {
        guard let root, Self.isPlainName(name) else { return nil }
        let directory = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(name, isDirectory: true).path
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/..data") {
            return target
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        return entries.sorted().map { entry in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + entry)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(entry):\(attributes?[.size] as? Int ?? -1):\(modified)"
        }.joined(separator: "|")
    }

    /// Keys whose files hold bytes, not text (`keytab`); their values are base64.
    static let binaryKeys: Set<String> = ["keytab"]

    /// A profile name is one path component: no separators, nothing hidden, so
    /// metadata can never reach outside the root.
    private static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }
}
