import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Logging
import TimeUnits

/// Measures `KafkaClient.observe` against librdkafka's mock cluster: latency
/// percentiles and Kafka requests per evaluation (from librdkafka statistics),
/// checked against DESIGN.md §5's budget, written to bench/RESULTS.md.
@main
struct LagEngineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag-engine-bench",
        abstract: "Latency and Kafka request budget of one lag evaluation."
    )

    @Option(help: "Partition counts to measure, comma separated.")
    var partitions = "1,100,1000"

    @Option(help: "Evaluations per partition count (at least 200).")
    var evaluations = 200

    @Option(help: "Mock brokers.")
    var brokers = 3

    @Option(help: "Markdown file whose lag-engine section is replaced (or appended).")
    var results = "bench/RESULTS.md"

    func validate() throws {
        guard evaluations >= 200 else { throw ValidationError("--evaluations must be at least 200") }
        guard !partitionCounts.isEmpty, partitionCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--partitions must be positive integers, e.g. 1,100,1000")
        }
    }

    private var partitionCounts: [Int32] {
        partitions.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() async throws {
        var rows: [BenchRow] = []
        for count in partitionCounts {
            let row = try await measure(partitions: count)
            print(row.markdown)
            rows.append(row)
        }
        let section = BenchReport(rows: rows, evaluations: evaluations, brokers: brokers).markdown
        try BenchReport.write(section: section, to: results)
        print("wrote \(results)")
        guard rows.allSatisfy(\.withinBudget) else {
            throw ValidationError("request budget exceeded; see \(results)")
        }
    }

    private func measure(partitions: Int32) async throws -> BenchRow {
        let cluster = try MockKafkaCluster(brokers: brokers)
        do {
            let row = try await measure(partitions: partitions, on: cluster)
            await cluster.close()
            return row
        } catch {
            await cluster.close()
            throw error
        }
    }

    private func measure(partitions: Int32, on cluster: MockKafkaCluster) async throws -> BenchRow {
        let topic = "bench-\(partitions)"
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
        try await cluster.createTopic(topic, partitions: partitions)
        try await cluster.produce(Dictionary(uniqueKeysWithValues: all.map { ($0, Int($0.partition % 5) + 1) }))
        let committed = Dictionary(uniqueKeysWithValues: all.filter { $0.partition % 2 == 0 }.map { ($0, Int64(1)) })
        try await cluster.commit(group: "bench", offsets: committed)

        var configuration = KafkaClientConfiguration.defaults
        configuration.statisticsInterval = .milliseconds(100)
        var logger = Logger(label: "lag-engine-bench")
        logger.logLevel = .error
        let client = try KafkaClient(connection: cluster.connection, configuration: configuration, logger: logger)
        do {
            let row = try await measure(
                client: client, source: Source(connection: cluster.connection, consumerGroup: "bench", topic: topic),
                expected: committed, all: all, leaders: Set(all.map { cluster.leader(ofPartition: $0.partition) }).count)
            await client.close()
            return row
        } catch {
            await client.close()
            throw error
        }
    }

    private func measure(
        client: KafkaClient,
        source: Source,
        expected committed: [TopicPartition: Int64],
        all: [TopicPartition],
        leaders: Int
    ) async throws -> BenchRow {
        // Cold evaluation: fills the metadata cache; its answer must be right.
        let first = try await client.observe(source, deadline: .now + .seconds(10))
        let expected = Observation(
            committed: Dictionary(uniqueKeysWithValues: all.map { ($0, committed[$0] ?? -1) }),
            latest: [source.topic: Dictionary(uniqueKeysWithValues: all.map { ($0.partition, Int64($0.partition % 5) + 1) })]
        )
        guard first == expected else { throw ValidationError("wrong observation for \(all.count) partitions") }

        guard let before = await client.nextStatistics() else { throw ValidationError("no statistics") }
        var latencies: [Duration] = []
        latencies.reserveCapacity(evaluations)
        for _ in 0..<evaluations {
            let start = ContinuousClock.now
            _ = try await client.observe(source, deadline: .now + .seconds(10))
            latencies.append(ContinuousClock.now - start)
        }
        guard let after = await client.nextStatistics() else { throw ValidationError("no statistics") }
        return BenchRow(
            partitions: all.count,
            leaders: leaders,
            evaluations: evaluations,
            latencies: latencies.sorted(),
            requests: after.requests(since: before)
        )
    }
}

/// One measured partition count.
struct BenchRow {
    var partitions: Int
    var leaders: Int
    var evaluations: Int
    /// Sorted ascending.
    var latencies: [Duration]
    /// Requests sent during all evaluations, by API.
    var requests: [String: Int]

    func percentile(_ p: Double) -> Duration {
        latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
    }

    func perEvaluation(_ api: String) -> Double {
        Double(requests[api] ?? 0) / Double(evaluations)
    }

    /// DESIGN.md §5: exactly one OffsetFetch, at most one ListOffsets per leader, no Metadata when warm.
    var withinBudget: Bool {
        requests["OffsetFetch"] == evaluations
            && (requests["ListOffsets"] ?? 0) <= evaluations * leaders
            && requests["Metadata"] == nil
    }

    var markdown: String {
        let others = requests.keys.filter { !["OffsetFetch", "ListOffsets", "Metadata"].contains($0) }.sorted()
            .map { "\($0) \(Self.format(perEvaluation($0)))" }
        return "| \(partitions) | \(leaders) | \(evaluations) | \(Self.milliseconds(percentile(0.5))) | \(Self.milliseconds(percentile(0.99))) | "
            + "\(Self.format(perEvaluation("OffsetFetch"))) | \(Self.format(perEvaluation("ListOffsets"))) | "
            + "\(Self.format(perEvaluation("Metadata"))) | \(others.isEmpty ? "none" : others.joined(separator: ", ")) | "
            + "\(withinBudget ? "ok" : "EXCEEDED") |"
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = duration.inSeconds * 1000
        return String(format: "%.2f ms", ms)
    }

    static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

/// The dated bench/RESULTS.md section of this benchmark.
struct BenchReport {
    static let begin = "<!-- lag-engine-bench:begin -->"
    static let end = "<!-- lag-engine-bench:end -->"

    var rows: [BenchRow]
    var evaluations: Int
    var brokers: Int

    var markdown: String {
        """
        \(Self.begin)
        ## lag-engine: one evaluation (`observe`) against the librdkafka mock cluster

        - Date: \(ISO8601DateFormatter().string(from: Date()))
        - System: \(Self.uname()); CPU: \(Self.cpuModel())
        - Setup: \(brokers) mock brokers over TCP on 127.0.0.1, partitions led round-robin, half of them committed;
          \(evaluations) warm evaluations per row after one cold one; release build; `bash bench/lag-engine/run.sh`.
        - Requests are librdkafka's per-broker `req` statistics counters, diffed over the warm evaluations.
        - Budget (DESIGN.md §5): 1 OffsetFetch, ≤ 1 ListOffsets per leader broker, 0 Metadata per warm evaluation.

        | partitions | leaders | evaluations | p50 | p99 | OffsetFetch/eval | ListOffsets/eval | Metadata/eval | other requests/eval | budget |
        | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
        \(rows.map(\.markdown).joined(separator: "\n"))
        \(Self.end)
        """
    }

    /// Replaces this benchmark's section of `path`, or appends it; other sections stay.
    static func write(section: String, to path: String) throws {
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmark results\n"
        if let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) {
            text.replaceSubrange(start.lowerBound..<stop.upperBound, with: section)
        } else {
            text += (text.hasSuffix("\n\n") ? "" : text.hasSuffix("\n") ? "\n" : "\n\n") + section + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `uname -srm`.
    static func uname() -> String {
        var names = utsname()
        guard Glibc.uname(&names) == 0 else { return "unknown" }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(names.sysname)) \(field(names.release)) \(field(names.machine))"
    }

    static func cpuModel() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        let cores = info.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        return "\(model ?? "unknown") × \(cores)"
    }
}
