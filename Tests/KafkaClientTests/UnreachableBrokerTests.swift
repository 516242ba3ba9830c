import KafkaLag
import LibrdkafkaClient
import Logging
import Synchronization
import Testing

/// Collects log records in memory, so tests can check what librdkafka said.
struct RecordingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    final class Store: Sendable {
        let records = Mutex([Record]())
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.records.withLock {
            $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

extension MockClusterTests {
    @Suite("KafkaClient with no broker listening", .timeLimit(.minutes(1)))
    struct UnreachableBrokerTests {
        @Test(
            "Refused connections: the one 'unreachable or not answering' error naming the broker, librdkafka's reason logged with metadata, no secret anywhere"
        )
        func refused() async throws {
            let store = RecordingLogHandler.Store()
            let logger = Logger(label: "unreachable") { _ in RecordingLogHandler(store: store) }
            // Port 1 on loopback: nothing listens, so every connect is refused at once.
            let connection = ConnectionSettings(
                bootstrapServers: ["127.0.0.1:1"],
                security: SecuritySettings(sasl: .plaintext, username: "svc", password: "hunter2")
            )
            let client = try KafkaClient(connection: connection, logger: logger)
            let start = ContinuousClock.now
            let error = await #expect(throws: KafkaLagError.self) {
                try await client.observe(Source(connection: connection, consumerGroup: "g", topic: "t"), deadline: .now + .seconds(1))
            }
            await client.close()
            #expect(ClusterFixture.elapsed(since: start) < 1.6)
            #expect(error?.code == .timedOut)
            #expect(error?.message.contains("Kafka brokers 127.0.0.1:1 unreachable or not answering within") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("refused") == false, "the cause is in the log, not in the caller's error")

            let records = store.records.withLock { $0 }
            let errors = records.filter { $0.message == "Kafka client error" }
            #expect(!errors.isEmpty)
            #expect(errors.allSatisfy { $0.metadata["kafka.error"] != nil && $0.metadata["kafka.client"] != nil })
            #expect(records.contains { $0.metadata["kafka.facility"] != nil }, "librdkafka log lines arrive with their facility")
            for record in records {
                #expect(!record.message.contains("hunter2") && !record.metadata.values.contains { $0.contains("hunter2") })
            }
            #expect(error?.description.contains("hunter2") == false)
        }
    }
}
