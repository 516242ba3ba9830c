/// When long-lived streams check again. Checks fall on multiples of the interval
/// from one process-wide origin, so every stream with the same `pushInterval`
/// checks at the same instant and their reads of one source coalesce.
enum PushSchedule {
    private static let origin = ContinuousClock.now

    /// Sleeps until the next multiple of `interval` after now.
    static func sleepUntilNextCheck(every interval: Duration) async throws {
        try await Task.sleep(until: nextCheck(after: .now, every: interval), clock: .continuous)
    }

    static func nextCheck(after now: ContinuousClock.Instant, every interval: Duration) -> ContinuousClock.Instant {
        let elapsed = now - origin
        let ticks = Int64((elapsed / interval).rounded(.down)) + 1
        return origin.advanced(by: interval * ticks)
    }
}
