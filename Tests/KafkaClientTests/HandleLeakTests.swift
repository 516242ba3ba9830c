import Foundation
import KafkaLag
import KafkaMockCluster
import Testing

/// A closed client leaves no librdkafka thread and no socket behind.
extension MockClusterTests {
    @Suite("KafkaClient teardown", .serialized, .timeLimit(.minutes(2)))
    struct HandleLeakTests {
        static func threadCount() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
        }

        static func socketCount() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"))?.hasPrefix("socket:") == true
            }.count
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
                let sockets = Self.socketCount()

                var peakThreads = 0
                for _ in 0..<5 {
                    try await ClusterFixture.withClient(cluster) { client in
                        _ = try await client.observe(source, deadline: .now + .seconds(5))
                        peakThreads = max(peakThreads, Self.threadCount())
                        #expect(Self.socketCount() > sockets, "an open client holds sockets")
                    }
                }
                #expect(peakThreads >= threads + 4, "a live client runs librdkafka threads")
                // A leaked handle keeps ≥ 4 threads; 2 threads of slack absorb pool threads that come and go.
                #expect(try await Self.eventually { Self.threadCount() <= threads + 2 }, "threads: \(Self.threadCount()) vs \(threads)")
                #expect(try await Self.eventually { Self.socketCount() <= sockets }, "sockets: \(Self.socketCount()) vs \(sockets)")
            }
        }
    }
}
