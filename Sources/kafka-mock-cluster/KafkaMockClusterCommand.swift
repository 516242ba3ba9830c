import ArgumentParser
import Foundation
import KafkaMockCluster

/// Starts a librdkafka mock cluster, prints `{"bootstrap": …, "brokers": […]}`
/// on stdout, then answers line commands from stdin with one JSON line each,
/// so end-to-end tests in any language can drive Kafka state.
@main
struct KafkaMockClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-mock-cluster",
        abstract: "Run a librdkafka mock Kafka cluster on 127.0.0.1, driven by stdin.",
        discussion: "Commands: \(MockClusterCommand.usage)"
    )

    @Option(help: "Number of brokers.")
    var brokers = 3

    @Option(name: .customLong("topic"), help: "A topic to create at start, as name:partitions (repeatable).")
    var topics: [String] = []

    private struct Reply: Encodable {
        var ok: Bool
        /// `invalidArgument`, `kafka` or `closed` when `ok` is false.
        var code: String?
        var error: String?
        var bootstrap: String?
        var brokers: [Int32]?
    }

    func run() async throws {
        let cluster = try MockKafkaCluster(brokers: brokers)
        for topic in topics {
            let parts = topic.split(separator: ":")
            guard parts.count == 2, let partitions = Int32(parts[1]) else {
                await cluster.close()
                throw ValidationError("--topic must be name:partitions, got \(topic)")
            }
            try await cluster.createTopic(String(parts[0]), partitions: partitions)
        }
        emit(Reply(ok: true, bootstrap: cluster.bootstrapServers, brokers: cluster.brokerIDs))
        for await line in Self.standardInputLines() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            do throws(MockKafkaClusterError) {
                let command = try MockClusterCommand(parsing: line)
                try await command.apply(to: cluster)
                emit(Reply(ok: true))
                if command == .quit { break }
            } catch {
                emit(Reply(ok: false, code: "\(error.code)", error: error.message))
            }
        }
        await cluster.close()
    }

    private func emit(_ reply: Reply) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(reply)) ?? Data(#"{"ok":false,"error":"encoding failed"}"#.utf8)
        data.append(0x0A)
        FileHandle.standardOutput.write(data)
    }

    /// stdin lines, read on a thread of their own so no pool thread blocks in `readLine`.
    private static func standardInputLines() -> AsyncStream<String> {
        AsyncStream { continuation in
            Thread {
                while let line = readLine() {
                    continuation.yield(line)
                }
                continuation.finish()
            }.start()
        }
    }
}
