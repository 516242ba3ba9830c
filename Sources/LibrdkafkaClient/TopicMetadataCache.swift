import KafkaLag
import Synchronization

/// Partition ids per topic, as last read from a Metadata response, trusted
/// for `maxAge` so that a warm evaluation sends no Metadata request.
final class TopicMetadataCache: Sendable {
    private struct Entry {
        var partitions: [Int32]
        var fetchedAt: ContinuousClock.Instant
    }

    private let maxAge: Duration
    private let entries = Mutex([String: Entry]())

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// Cached partitions of `topic`, unless missing or older than `maxAge`.
    func partitions(ofTopic topic: String, now: ContinuousClock.Instant = .now) -> [Int32]? {
        entries.withLock { entries in
            guard let entry = entries[topic], now - entry.fetchedAt < maxAge else { return nil }
            return entry.partitions
        }
    }

    func store(_ partitions: [Int32], forTopic topic: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { $0[topic] = Entry(partitions: partitions, fetchedAt: now) }
    }

    func invalidate(topics: [String]) {
        entries.withLock { entries in
            for topic in topics { entries[topic] = nil }
        }
    }
}
