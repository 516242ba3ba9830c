import KafkaLag
import Dispatch

/// Runs librdkafka calls that block for up to their timeout (metadata,
/// offsets_for_times, destroy) on threads of their own, never on the
/// cooperative pool. On Linux the cooperative pool is libdispatch's CPU-wide
/// global queue, and a concurrent queue would share its threads: a slow broker
/// would starve unrelated tasks. Serial queues get threads of their own
/// (libdispatch "overcommit"), so every call runs on one, and a
/// ``BlockingCallGate`` bounds how many one handle uses at a time.
public enum BlockingCalls {
    /// Runs `body` on a thread of its own (a queue of its own), for calls with no
    /// handle's lanes yet, such as `rd_kafka_new`.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await run(on: DispatchQueue(label: "keda-kafka-scaler.librdkafka.blocking"), body)
    }

    static func run<T: Sendable>(on lane: DispatchQueue, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            lane.async { continuation.resume(returning: body()) }
        }
    }

    /// Fire-and-forget form, for teardown from `deinit`: a queue of its own.
    static func detach(_ body: @escaping @Sendable () -> Void) {
        DispatchQueue(label: "keda-kafka-scaler.librdkafka.teardown").async(execute: body)
    }
}
