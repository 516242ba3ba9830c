import CRdKafka
@testable import KafkaLag
@testable import LibrdkafkaClient
import Testing
import TimeUnits

@Suite("Client internals")
struct InternalsTests {
    @Test("Handle lifecycle: close waits for queries in flight, then destroys once")
    func lifecycle() async {
        var lifecycle = HandleLifecycle()
        let first = lifecycle.enter(), second = lifecycle.enter()
        #expect(first && second)
        guard case .none = lifecycle.close(waiter: nil) else { Issue.record("closed under a query"); return }
        let refused = !lifecycle.enter()
        #expect(refused, "no new query once closing")
        guard case .none = lifecycle.exit() else { Issue.record("destroyed too early"); return }
        guard case .destroy(let waiters) = lifecycle.exit() else { Issue.record("last exit must destroy"); return }
        #expect(waiters.isEmpty)
        guard case .none = lifecycle.close(waiter: nil) else { Issue.record("destroyed twice"); return }
        guard case .none = lifecycle.exit() else { Issue.record("exit after close"); return }
    }

    @Test("Idle handle: close destroys at once")
    func idleClose() {
        var lifecycle = HandleLifecycle()
        guard case .destroy = lifecycle.close(waiter: nil) else { Issue.record("idle close must destroy"); return }
        let entered = lifecycle.enter()
        #expect(!entered)
    }

    @Test("Statistics JSON: request counters summed and diffed per API and broker")
    func statistics() throws {
        func json(_ fetch: Int, _ list1: Int, _ list2: Int) -> String {
            """
            {"name":"c#consumer-1","ts":1,"brokers":{
              "127.0.0.1:1/bootstrap":{"name":"127.0.0.1:1/bootstrap","nodeid":-1,"state":"UP","req":{"Metadata":2,"ApiVersion":1}},
              "127.0.0.1:1/1":{"name":"127.0.0.1:1/1","nodeid":1,"state":"UP","req":{"OffsetFetch":\(fetch),"ListOffsets":\(list1),"Metadata":0}},
              "127.0.0.1:2/2":{"name":"127.0.0.1:2/2","nodeid":2,"state":"DOWN","req":{"ListOffsets":\(list2)}}
            },"topics":{}}
            """
        }
        let before = try #require(KafkaStatistics(json: json(1, 3, 2)))
        let after = try #require(KafkaStatistics(json: json(2, 4, 3)))
        #expect(before.requests == ["Metadata": 2, "ApiVersion": 1, "OffsetFetch": 1, "ListOffsets": 5])
        #expect(after.requests(since: before) == ["OffsetFetch": 1, "ListOffsets": 2])
        #expect(after.requests("ListOffsets", since: before) == ["127.0.0.1:1/1": 1, "127.0.0.1:2/2": 1])
        #expect(after.brokers.map(\.name) == ["127.0.0.1:1/1", "127.0.0.1:1/bootstrap", "127.0.0.1:2/2"])
        #expect(after.brokers.map(\.state) == ["UP", "UP", "DOWN"])
        #expect(KafkaStatistics(json: "not json") == nil)
    }

    @Test(
        "syslog levels map to swift-log levels",
        arguments: [(Int32(0), "critical"), (3, "error"), (4, "warning"), (5, "notice"), (6, "info"), (7, "debug")])
    func logLevels(syslog: Int32, level: String) {
        #expect("\(KafkaLogBridge.swiftLogLevel(syslog: syslog))" == level)
    }

    @Test("Kafka error codes map to our codes")
    func errorCodes() {
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR__TIMED_OUT) == .timedOut)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR__TRANSPORT) == .unavailable)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) == .unavailable)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED) == .unauthenticated)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR__AUTHENTICATION) == .unauthenticated)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) == .permissionDenied)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) == .permissionDenied)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) == .failedPrecondition)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_NOT_COORDINATOR) == .failedPrecondition)
        #expect(KafkaLagError.code(for: RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE) == .failedPrecondition)
        let error = KafkaLagError.kafka(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, "error listing consumer group offsets for group g")
        #expect(error.message.hasPrefix("error listing consumer group offsets for group g: "))
        #expect(error.message.hasSuffix("(GROUP_AUTHORIZATION_FAILED)"))
    }

    @Test("Durations become librdkafka milliseconds, rounded up")
    func milliseconds() {
        #expect(Duration.seconds(5).roundedUpMilliseconds == 5000)
        #expect(Duration.microseconds(1).roundedUpMilliseconds == 1)
        #expect(Duration.milliseconds(1500).roundedUpMilliseconds == 1500)
    }

    @Test("Topic metadata is trusted for maxAge, then refreshed; invalidation forgets at once")
    func metadataCache() {
        let cache = TopicMetadataCache(maxAge: .seconds(60))
        let start = ContinuousClock.now
        #expect(cache.partitions(ofTopic: "t", now: start) == nil)
        cache.store([0, 1, 2], forTopic: "t", now: start)
        cache.store([0], forTopic: "u", now: start)
        #expect(cache.partitions(ofTopic: "t", now: start + .seconds(59)) == [0, 1, 2])
        #expect(cache.partitions(ofTopic: "t", now: start + .seconds(60)) == nil)
        cache.invalidate(topics: ["u"])
        #expect(cache.partitions(ofTopic: "u", now: start) == nil)
        #expect(cache.partitions(ofTopic: "t", now: start) == [0, 1, 2])
    }
}
