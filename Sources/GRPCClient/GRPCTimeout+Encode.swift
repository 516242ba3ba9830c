import TimeUnits
public import GRPCCore

extension GRPCTimeout {
    /// The `grpc-timeout` header value for `duration`: at most 8 digits, in the finest
    /// unit that fits, rounded up so the server never sees a shorter deadline than
    /// the caller's. Zero and negative durations become `1n` (already expired).
    public static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, seconds > 0 || attoseconds > 0 else { return "1n" }
        let units: [(letter: Character, nanoseconds: Int64)] = [
            ("n", 1), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000), ("M", 60_000_000_000), ("H", 3_600_000_000_000),
        ]
        let maximumAmount: Int64 = 99_999_999
        // Nanoseconds, saturated: durations past ~292 years are "forever" anyway.
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let nanos = overflow || wholeNanos > Int64.max - 1_000_000_000 ? Int64.max : wholeNanos &+ (attoseconds + 999_999_999) / 1_000_000_000
        for unit in units {
            let amount = nanos / unit.nanoseconds + (nanos % unit.nanoseconds == 0 ? 0 : 1)
            if amount <= maximumAmount { return "\(amount)\(unit.letter)" }
        }
        return "\(maximumAmount)H"
    }
}
