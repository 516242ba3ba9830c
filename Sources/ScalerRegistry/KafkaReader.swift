public import KafkaLag

/// Reads a source's offsets through one Kafka connection. The registry pools
/// these per ``ConnectionSettings``; tests substitute fakes.
public protocol KafkaReader: AnyObject, Sendable {
    /// One observation of `source`, bounded by `deadline` (or the reader's own Kafka timeout when nil).
    func observe(_ source: Source, deadline: ContinuousClock.Instant?) async throws(KafkaLagError) -> Observation
    /// The connection must be replaced: the pool stops lending it and closes it
    /// once its reads end (checked at every sweep).
    var needsReplacement: Bool { get }
    /// Closes the connection; called once, after the last read through it ended.
    func close() async
}

/// Opens connections for the pool.
public protocol KafkaReaderFactory: Sendable {
    /// A reader for `settings`. Invalid settings (a PEM that does not parse) fail
    /// here with `invalidMetadata` naming the key. Opening may block (librdkafka starts
    /// threads and resolves names): the factory keeps that off the cooperative pool.
    func makeReader(for settings: ConnectionSettings) async throws(KafkaLagError) -> any KafkaReader
}

/// Turns raw trigger metadata into a source again after a failure or on reload,
/// re-reading auth-profile files; the entry's namespace must still be in the
/// profile's scope. ``TriggerResolver`` in production; a seam for the registry's tests.
protocol SourceResolver: Sendable {
    func reResolve(_ metadata: [String: String], namespace: String) throws(KafkaLagError) -> Source
    /// The auth profile `metadata` names, if any.
    func profileName(in metadata: [String: String]) -> String?
    /// Changes whenever profile `name`'s files change; nil when it is gone.
    func profileStamp(_ name: String) -> String?
}

/// Gives a pooled reader an identity, so the pool can count reads per connection.
final class PooledReader: Sendable {
    let reader: any KafkaReader

    init(_ reader: any KafkaReader) {
        self.reader = reader
    }
}
