import Foundation
import TimeUnits

/// A point in time as the registry needs it: a monotonic reading for TTLs and
/// backoff, and wall-clock seconds for what operators read in `/registry`.
public struct RegistryInstant: Sendable, Hashable, Comparable {
    /// Time since an arbitrary, fixed origin; never jumps.
    public var monotonic: Duration
    /// Seconds since 1970-01-01T00:00:00Z.
    public var wallSeconds: Double

    public init(monotonic: Duration, wallSeconds: Double) {
        self.monotonic = monotonic
        self.wallSeconds = wallSeconds
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.monotonic < rhs.monotonic }

    /// This instant moved forward by `duration` on both clocks.
    public func advanced(by duration: Duration) -> Self {
        let seconds = duration.inSeconds
        return Self(monotonic: monotonic + duration, wallSeconds: wallSeconds + seconds)
    }
}

/// Where the registry reads time from; tests drive a manual one.
public protocol RegistryClock: Sendable {
    func now() -> RegistryInstant
}

/// The process's clocks: monotonic from `ContinuousClock`, wall time from the system.
public struct SystemRegistryClock: RegistryClock {
    private static let origin = ContinuousClock.now

    public init() {}

    public func now() -> RegistryInstant {
        RegistryInstant(monotonic: ContinuousClock.now - Self.origin, wallSeconds: Date().timeIntervalSince1970)
    }
}
