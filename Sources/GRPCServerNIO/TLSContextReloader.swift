public import Logging
import Synchronization

/// The server's TLS identity, rebuilt when its files change on disk (cert-manager rotates
/// them in place), so new connections get the new certificate without a restart while open
/// connections keep the one they shook hands with. A rotation that cannot be used, or files
/// that disappear, leave the last good identity serving and are logged once.
public final class TLSContextReloader: Sendable {
    /// The files watched.
    public let files: TLSFiles
    private let checkInterval: Duration
    private let logger: Logger
    private let current: Mutex<TLSIdentity>
    private let watcher: Mutex<CertificateFileWatcher>

    /// Loads the files now (blocking I/O; call before serving), failing with the file and
    /// reason when they cannot be used. `checkInterval` is how often `run()` reads them again.
    public init(files: TLSFiles, checkInterval: Duration = .seconds(1), logger: Logger) throws(TLSSetupError) {
        let contents = try TLSFileContents(reading: files)
        let identity = try TLSIdentity(files: files, contents: contents)
        self.files = files
        self.checkInterval = checkInterval
        self.logger = logger
        current = Mutex(identity)
        watcher = Mutex(CertificateFileWatcher(loaded: contents))
    }

    /// The identity new connections use.
    public var identity: TLSIdentity { current.withLock { $0 } }

    /// Reads the files every `checkInterval` until the task is cancelled.
    public func run() async {
        while true {
            do {
                try await Task.sleep(for: checkInterval)
            } catch {
                return
            }
            checkFiles()
        }
    }

    /// One read of the files: reload, report, or nothing. Blocking file I/O: call it off the
    /// event loops. True when a new identity was swapped in.
    @discardableResult
    public func checkFiles() -> Bool {
        let read = Result { () throws(TLSSetupError) in try TLSFileContents(reading: files) }
        let serial = identity.serialNumber
        switch watcher.withLock({ $0.observe(read) }) {
        case .none:
            return false
        case .reload(let contents):
            do {
                let fresh = try TLSIdentity(files: files, contents: contents)
                current.withLock { $0 = fresh }
                logger.info(
                    "TLS certificate reloaded",
                    metadata: [
                        "tls.serial": "\(fresh.serialNumber)", "tls.previous_serial": "\(serial)",
                        "tls.not_valid_after": "\(fresh.notValidAfter)",
                    ]
                )
                return true
            } catch {
                logger.error(
                    "TLS files changed but cannot be used; new connections keep the previous certificate",
                    metadata: ["error": "\(error)", "tls.serial": "\(serial)"]
                )
                return false
            }
        case .reportUnreadable(let error):
            logger.error(
                "TLS files cannot be read; new connections keep the last good certificate",
                metadata: ["error": "\(error)", "tls.serial": "\(serial)"]
            )
            return false
        case .reportRestored:
            logger.info("TLS files are readable again and unchanged", metadata: ["tls.serial": "\(serial)"])
            return false
        }
    }
}
