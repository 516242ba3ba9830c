import Foundation
import KafkaLag
import KafkaMockCluster
import LibrdkafkaClient
import Testing

/// A closed client leaves no librdkafka thread and no socket behind.
extension MockClusterTests {
    @Suite("KafkaClient teardown", .serialized, .timeLimit(.minutes(2)))
    struct HandleLeakTests {
        /// librdkafka's own threads (named `rdk:…`): other suites' event-loop and pool
        /// threads, which come and go in parallel, do not count.
        static func threadCount() -> Int {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.filter { task in
                procText("/proc/self/task/\(task)/comm").hasPrefix("rdk:")
            }.count
        }

        /// Established TCP connections to `cluster`'s brokers: sockets other suites open in
        /// parallel (to other servers) do not count.
        static func socketCount(to cluster: MockKafkaCluster) -> Int {
            let ports = Set(
                cluster.bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { Int($0, radix: 10) } })
            let table = procText("/proc/self/net/tcp")
            return table.split(separator: "\n").dropFirst().filter { line in
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[3] == "01", let remotePort = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
                else { return false }
                return ports.contains(remotePort)
            }.count
        }

        /// A /proc file read to its end (procfs reports a size of 0, so size-based reads see nothing).
        static func procText(_ path: String) -> String {
            guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() else { return "" }
            return String(decoding: data, as: UTF8.self)
        }

        /// Polls until `condition` holds (teardown finishes on librdkafka's threads), up to 10 s.
        static func eventually(_ condition: () -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return condition()
        }

        @Test("Create, observe, close five times: threads and sockets return to the baseline")
        func noLeaks() async throws {
            try await ClusterFixture.withCluster { cluster in
                try await ClusterFixture.seed(cluster, topic: "leaks", partitions: 3)
                let source = Source(connection: cluster.connection, consumerGroup: "g", topic: "leaks")
                // Warm-up: the blocking-call and cooperative pools create their threads once.
                try await ClusterFixture.withClient(cluster) { client in
                    _ = try await client.observe(source, deadline: .now + .seconds(5))
                }
                let threads = Self.threadCount()
                let sockets = Self.socketCount(to: cluster)

                var peakThreads = 0
                for _ in 0..<5 {
                    try await ClusterFixture.withClient(cluster) { client in
                        _ = try await client.observe(source, deadline: .now + .seconds(5))
                        peakThreads = max(peakThreads, Self.threadCount())
                        #expect(Self.socketCount(to: cluster) > sockets, "an open client holds sockets")
                    }
                }
                #expect(peakThreads >= threads + 4, "a live client runs librdkafka threads")
                // A leaked handle keeps ≥ 4 librdkafka threads.
                #expect(try await Self.eventually { Self.threadCount() <= threads }, "threads: \(Self.threadCount()) vs \(threads)")
                #expect(
                    try await Self.eventually { Self.socketCount(to: cluster) <= sockets }, "sockets: \(Self.socketCount(to: cluster)) vs \(sockets)")
            }
        }
    }
}
