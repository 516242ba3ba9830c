/// Decides, from one read of the TLS files, whether to rebuild the TLS context. A pure state
/// machine: the caller reads the files, passes the result in, and acts on the answer. Each
/// distinct set of contents is tried once, so a bad rotation is reported once and retried
/// only when the files change again (cert-manager may write the certificate and the key in
/// two steps); a file that cannot be read is reported once until the failure changes.
struct CertificateFileWatcher: Sendable {
    /// What the caller should do.
    enum Action: Equatable, Sendable {
        /// Nothing changed since the last attempt.
        case none
        /// The contents changed: build a new context from them and swap it in if it is good.
        case reload(TLSFileContents)
        /// A file cannot be read (newly, or for another reason than last reported): keep the
        /// current context and say so.
        case reportUnreadable(TLSSetupError)
        /// The files are readable again and unchanged: the current context still matches them.
        case reportRestored
    }

    private var attempted: TLSFileContents
    private var unreadable: TLSSetupError?

    /// Starts from the contents the current context was built from.
    init(loaded: TLSFileContents) {
        attempted = loaded
    }

    /// The action for the files as read now.
    mutating func observe(_ read: Result<TLSFileContents, TLSSetupError>) -> Action {
        switch read {
        case .failure(let error):
            guard error != unreadable else { return .none }
            unreadable = error
            return .reportUnreadable(error)
        case .success(let contents):
            let wasUnreadable = unreadable != nil
            unreadable = nil
            if contents != attempted {
                attempted = contents
                return .reload(contents)
            }
            return wasUnreadable ? .reportRestored : .none
        }
    }
}
