import CProcess

/// What the scaler does to its own process before it reads any credential: a core dump
/// (or a ptrace read by another user) would hold every auth profile's secrets.
enum ProcessHardening {
    /// Marks the process non-dumpable (`PR_SET_DUMPABLE` 0); ``ScalerSettings/allowCoreDumps`` skips it.
    static func disableCoreDumps() throws(ScalerSettingsError) {
        guard kks_set_dumpable(0) == 0 else { throw .coreDumpsNotDisabled }
    }

    /// Whether the process may dump core now.
    static var isDumpable: Bool { kks_get_dumpable() == 1 }
}
