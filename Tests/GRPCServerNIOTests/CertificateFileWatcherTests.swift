import Testing

@testable import GRPCServerNIO

/// The watcher's decisions over real files in a temporary directory.
@Suite struct CertificateFileWatcherTests {
    private static func read(_ files: TLSFiles) -> Result<TLSFileContents, TLSSetupError> {
        Result { () throws(TLSSetupError) in try TLSFileContents(reading: files) }
    }

    private static func start() throws -> (TLSTestDirectory, TLSFiles, CertificateFileWatcher) {
        let directory = try TLSTestDirectory()
        try directory.write("certificate one\n", to: "tls.crt")
        try directory.write("key one\n", to: "tls.key")
        let files = directory.files()
        return (directory, files, CertificateFileWatcher(loaded: try read(files).get()))
    }

    @Test func unchangedFilesNeedNothing() throws {
        var (directory, files, watcher) = try Self.start()
        defer { directory.remove() }
        #expect(watcher.observe(Self.read(files)) == .none)
        #expect(watcher.observe(Self.read(files)) == .none)
    }

    @Test func aSameSizeRewriteIsSeenAndTriedOnce() throws {
        var (directory, files, watcher) = try Self.start()
        defer { directory.remove() }
        try directory.write("certificate two\n", to: "tls.crt")
        let contents = try Self.read(files).get()
        #expect(watcher.observe(.success(contents)) == .reload(contents))
        // Whether or not that pair worked, the same bytes are not tried again.
        #expect(watcher.observe(Self.read(files)) == .none)
        try directory.write("key two\n", to: "tls.key")
        #expect(watcher.observe(Self.read(files)) == .reload(try Self.read(files).get()))
    }

    @Test func aMissingFileIsReportedOnceUntilTheFailureChanges() throws {
        var (directory, files, watcher) = try Self.start()
        defer { directory.remove() }
        try directory.delete("tls.key")
        guard case .reportUnreadable(let keyMissing) = watcher.observe(Self.read(files)) else {
            Issue.record("a missing key was not reported")
            return
        }
        #expect(keyMissing.code == .unreadableFile)
        #expect(keyMissing.role == .privateKey)
        #expect(keyMissing.detail == "No such file or directory")
        #expect(watcher.observe(Self.read(files)) == .none)

        try directory.delete("tls.crt")
        guard case .reportUnreadable(let certificateMissing) = watcher.observe(Self.read(files)) else {
            Issue.record("a second missing file was not reported")
            return
        }
        #expect(certificateMissing.role == .certificateChain)
    }

    @Test func filesBackUnchangedAreReportedWithoutAReload() throws {
        var (directory, files, watcher) = try Self.start()
        defer { directory.remove() }
        try directory.copy("tls.key", to: "saved.key")
        try directory.delete("tls.key")
        #expect(watcher.observe(Self.read(files)) != .none)
        try directory.copy("saved.key", to: "tls.key")
        #expect(watcher.observe(Self.read(files)) == .reportRestored)
        #expect(watcher.observe(Self.read(files)) == .none)
    }

    @Test func filesBackChangedAreReloaded() throws {
        var (directory, files, watcher) = try Self.start()
        defer { directory.remove() }
        try directory.delete("tls.crt")
        #expect(watcher.observe(Self.read(files)) != .none)
        try directory.write("certificate three\n", to: "tls.crt")
        #expect(watcher.observe(Self.read(files)) == .reload(try Self.read(files).get()))
    }
}
