import Dispatch

/// Runs librdkafka calls that block for up to their timeout (metadata,
/// offsets_for_times, destroy) on threads of their own, never on the
/// cooperative pool: a slow broker must not starve unrelated tasks.
enum BlockingCalls {
    private static let queue = DispatchQueue(label: "keda-kafka-scaler.librdkafka.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Fire-and-forget form, for teardown from `deinit`.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
