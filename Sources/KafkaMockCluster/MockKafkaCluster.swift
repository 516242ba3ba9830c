import CRdKafka
import Dispatch
import Foundation
public import KafkaLag
import Synchronization
import TimeUnits

/// librdkafka's in-process mock Kafka cluster, reachable over real TCP on
/// 127.0.0.1, with the few operations tests, the demo and benchmarks need:
/// topics spread over brokers, produced messages, committed group offsets,
/// broker outages and latency.
///
/// `@unchecked Sendable` because it only holds librdkafka handles
/// (`rd_kafka_mock_cluster_t`, `rd_kafka_t`), which are thread-safe: mock
/// operations are posted to the mock cluster's own thread. The Swift-side
/// state (per-group consumers, delivery failures) is behind a `Mutex`.
public final class MockKafkaCluster: @unchecked Sendable {
    /// `127.0.0.1:port,…`, one entry per broker.
    public let bootstrapServers: String
    /// Broker ids, `1...brokers`.
    public let brokerIDs: [Int32]

    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    private let producer: OpaquePointer
    /// The producer's delivery callback counts failures here (its opaque).
    private let deliveryReports = DeliveryReports()
    private let state = Mutex(State())
    private let work = DispatchQueue(label: "keda-kafka-scaler.mock-cluster", attributes: .concurrent)

    private struct State {
        var committers: [String: Committer] = [:]
        var closed = false
    }

    /// A consumer with `group.id` that commits explicit offsets without subscribing.
    /// `@unchecked Sendable`: it only carries an `rd_kafka_t`, which is thread-safe.
    private struct Committer: @unchecked Sendable {
        let handle: OpaquePointer
    }

    /// Starts `brokers` mock brokers listening on ephemeral ports.
    public init(brokers: Int = 3) throws(MockKafkaClusterError) {
        guard (1...64).contains(brokers) else {
            throw MockKafkaClusterError(.invalidArgument, "broker count must be 1...64, got \(brokers)")
        }
        // The mock cluster needs an owning handle "for bookkeeping"; it must outlive the cluster.
        let owner = try Self.makeHandle(type: RD_KAFKA_PRODUCER, properties: [:], opaque: nil)
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw MockKafkaClusterError(.kafka, "rd_kafka_mock_cluster_new failed")
        }
        let bootstrap = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.owner = owner
        self.cluster = cluster
        self.bootstrapServers = bootstrap
        self.brokerIDs = (1...Int32(brokers)).map { $0 }
        do {
            self.producer = try Self.makeHandle(
                type: RD_KAFKA_PRODUCER,
                properties: ["bootstrap.servers": bootstrap, "linger.ms": "0"],
                opaque: deliveryReports
            )
        } catch {
            rd_kafka_mock_cluster_destroy(cluster)
            rd_kafka_destroy(owner)
            throw error
        }
    }

    deinit {
        shutdown()
    }

    /// Connection settings of a plaintext client of this cluster.
    public var connection: ConnectionSettings {
        ConnectionSettings(bootstrapServers: bootstrapServers.split(separator: ",").map(String.init))
    }

    /// The broker that leads `partition` after ``createTopic(_:partitions:)``:
    /// partitions are spread round-robin over the brokers.
    public func leader(ofPartition partition: Int32) -> Int32 {
        brokerIDs[Int(partition) % brokerIDs.count]
    }

    /// Creates `topic` with `partitions` partitions, replicated on every broker,
    /// partition `p` led by broker `brokerIDs[p % brokers]`.
    public func createTopic(_ topic: String, partitions: Int32) async throws(MockKafkaClusterError) {
        guard partitions > 0 else {
            throw MockKafkaClusterError(.invalidArgument, "partition count must be positive, got \(partitions)")
        }
        try check(rd_kafka_mock_topic_create(cluster, topic, partitions, Int32(brokerIDs.count)), "create topic \(topic)")
        try await offload { [self] () throws(MockKafkaClusterError) in
            try placeLeaders(topic: topic, partitions: partitions)
        }
    }

    /// Appends `count` messages to one partition and waits until all are acknowledged.
    public func produce(topic: String, partition: Int32, count: Int) async throws(MockKafkaClusterError) {
        try await produce([TopicPartition(topic: topic, partition: partition): count])
    }

    /// Appends the given number of messages to each partition, then waits once
    /// until all are acknowledged (fast for many partitions).
    public func produce(_ counts: [TopicPartition: Int]) async throws(MockKafkaClusterError) {
        try await offload { [self] () throws(MockKafkaClusterError) in
            try produceBlocking(counts)
        }
    }

    /// Commits `offsets` for `group` like a consumer would, with an explicit list
    /// and without joining the group (so the mock stores them at generation -1).
    public func commit(group: String, offsets: [TopicPartition: Int64]) async throws(MockKafkaClusterError) {
        try await offload { [self] () throws(MockKafkaClusterError) in
            try commitBlocking(group: group, offsets: offsets)
        }
    }

    /// Makes Metadata responses for `topic` carry `error` (`nil` clears it). The
    /// mock serves Metadata v2, which cannot refuse auto-creation, so this is how
    /// an unknown or forbidden topic is staged.
    public func setTopicError(_ topic: String, _ error: MockKafkaError?) {
        rd_kafka_mock_topic_set_error(cluster, topic, error?.code ?? RD_KAFKA_RESP_ERR_NO_ERROR)
    }

    /// The next `count` requests of `api`, to any broker, fail with `error`
    /// (for a request about several partitions, every partition carries it).
    public func failNextRequests(_ api: MockKafkaAPI, with error: MockKafkaError, count: Int = 1) {
        let errors = [rd_kafka_resp_err_t](repeating: error.code, count: count)
        rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, errors.count, errors)
    }

    /// Disconnects the broker and refuses new connections until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ broker: Int32) throws(MockKafkaClusterError) {
        try check(rd_kafka_mock_broker_set_down(cluster, broker), "set broker \(broker) down")
    }

    /// Accepts connections to the broker again.
    public func setBrokerUp(_ broker: Int32) throws(MockKafkaClusterError) {
        try check(rd_kafka_mock_broker_set_up(cluster, broker), "set broker \(broker) up")
    }

    /// Delays every response of the broker by `rtt` (zero removes the delay).
    public func setRoundTripTime(_ rtt: Duration, broker: Int32) throws(MockKafkaClusterError) {
        let milliseconds = Int32(clamping: rtt.roundedUpMilliseconds)
        try check(rd_kafka_mock_broker_set_rtt(cluster, broker, milliseconds), "set RTT of broker \(broker)")
    }

    /// Stops the cluster and its helper clients, off the cooperative pool
    /// (librdkafka teardown can take a second).
    public func close() async {
        await withCheckedContinuation { continuation in
            work.async { [self] in
                shutdown()
                continuation.resume()
            }
        }
    }

    // MARK: Blocking internals

    private func shutdown() {
        let committers: [Committer]? = state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.committers = [:] }
            return Array(state.committers.values)
        }
        guard let committers else { return }
        for committer in committers {
            rd_kafka_consumer_close(committer.handle)
            rd_kafka_destroy(committer.handle)
        }
        rd_kafka_flush(producer, 1000)
        rd_kafka_destroy(producer)
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// The mock places leaders at random and each `set_leader` takes about half a
    /// second on the mock thread, so the calls are spread over up to 64 threads.
    private func placeLeaders(topic: String, partitions: Int32) throws(MockKafkaClusterError) {
        let workers = min(Int(partitions), 64)
        let failures = Mutex([String]())
        let done = DispatchGroup()
        for worker in 0..<workers {
            done.enter()
            Thread { [self] in
                for partition in stride(from: Int32(worker), to: partitions, by: workers) {
                    let err = rd_kafka_mock_partition_set_leader(cluster, topic, partition, leader(ofPartition: partition))
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        failures.withLock { $0.append("set leader of \(topic)/\(partition): \(String(cString: rd_kafka_err2str(err)))") }
                    }
                }
                done.leave()
            }.start()
        }
        done.wait()
        if let failure = failures.withLock({ $0.first }) {
            throw MockKafkaClusterError(.kafka, failure)
        }
    }

    private func produceBlocking(_ counts: [TopicPartition: Int]) throws(MockKafkaClusterError) {
        guard !state.withLock({ $0.closed }) else { throw MockKafkaClusterError(.closed, "mock cluster is closed") }
        let failedBefore = deliveryReports.failures
        for (target, count) in counts.sorted(by: { $0.key < $1.key }) {
            guard count >= 0 else { throw MockKafkaClusterError(.invalidArgument, "message count must not be negative, got \(count)") }
            for index in 0..<count {
                try produceOne(topic: target.topic, partition: target.partition, payload: Array("message-\(index)".utf8))
            }
        }
        try check(rd_kafka_flush(producer, 10_000), "flush produced messages")
        let failed = deliveryReports.failures - failedBefore
        guard failed == 0 else {
            throw MockKafkaClusterError(.kafka, "\(failed) produced messages were not delivered")
        }
    }

    private func produceOne(topic: String, partition: Int32, payload: [UInt8]) throws(MockKafkaClusterError) {
        var payload = payload
        while true {
            let err = topic.withCString { topicName in
                payload.withUnsafeMutableBytes { bytes in
                    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 4)
                    values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    values[0].u.cstr = topicName
                    values[1].vtype = RD_KAFKA_VTYPE_PARTITION
                    values[1].u.i32 = partition
                    values[2].vtype = RD_KAFKA_VTYPE_VALUE
                    values[2].u.mem.ptr = bytes.baseAddress
                    values[2].u.mem.size = bytes.count
                    values[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    values[3].u.i = RD_KAFKA_MSG_F_COPY
                    return Self.consume(rd_kafka_produceva(producer, &values, values.count))
                }
            }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                return try check(err, "produce to \(topic)/\(partition)")
            }
            rd_kafka_poll(producer, 100)
        }
    }

    private func commitBlocking(group: String, offsets: [TopicPartition: Int64]) throws(MockKafkaClusterError) {
        let committer = try committer(forGroup: group)
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
        }
        try check(rd_kafka_commit(committer.handle, list, 0), "commit offsets of group \(group)")
        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
            try check(element.err, "commit offset of group \(group) for \(String(cString: element.topic))/\(element.partition)")
        }
    }

    private func committer(forGroup group: String) throws(MockKafkaClusterError) -> Committer {
        if let existing = state.withLock({ $0.committers[group] }) { return existing }
        let created = Committer(
            handle: try Self.makeHandle(
                type: RD_KAFKA_CONSUMER,
                properties: ["bootstrap.servers": bootstrapServers, "group.id": group, "enable.auto.commit": "false"],
                opaque: nil
            ))
        let (kept, extra): (Committer?, Committer?) = state.withLock { state in
            if state.closed { return (nil, created) }
            if let raced = state.committers[group] { return (raced, created) }
            state.committers[group] = created
            return (created, nil)
        }
        if let extra {
            rd_kafka_destroy(extra.handle)
        }
        guard let kept else { throw MockKafkaClusterError(.closed, "mock cluster is closed") }
        return kept
    }

    private func offload<T: Sendable>(_ body: @escaping @Sendable () throws(MockKafkaClusterError) -> T) async throws(MockKafkaClusterError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, MockKafkaClusterError>, Never>) in
            work.async {
                do throws(MockKafkaClusterError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(MockKafkaClusterError) {
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw MockKafkaClusterError(.kafka, "\(what): \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Takes ownership of an `rd_kafka_error_t`, returning its code.
    private static func consume(_ error: OpaquePointer?) -> rd_kafka_resp_err_t {
        guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
        defer { rd_kafka_error_destroy(error) }
        return rd_kafka_error_code(error)
    }

    private static func makeHandle(
        type: rd_kafka_type_t,
        properties: [String: String],
        opaque: DeliveryReports?
    ) throws(MockKafkaClusterError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.merging(["log_level": "3"], uniquingKeysWith: { first, _ in first }) {
            guard rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw MockKafkaClusterError(.kafka, "\(key): \(text(errstr))")
            }
        }
        if let opaque {
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(opaque).toOpaque())
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque, message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
                Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue().recordFailure()
            }
        }
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw MockKafkaClusterError(.kafka, "rd_kafka_new: \(text(errstr))")
        }
        return handle
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Counts failed deliveries reported by the producer's delivery callback;
/// the cluster keeps it alive as long as the producer.
final class DeliveryReports: Sendable {
    private let failed = Mutex(0)

    var failures: Int { failed.withLock { $0 } }

    func recordFailure() {
        failed.withLock { $0 += 1 }
    }
}

/// Kafka protocol errors the mock can answer with.
public enum MockKafkaError: Sendable, Hashable, CaseIterable {
    case unknownTopicOrPartition
    case topicAuthorizationFailed
    case groupAuthorizationFailed
    case leaderNotAvailable
    case notCoordinator

    var code: rd_kafka_resp_err_t {
        switch self {
        case .unknownTopicOrPartition: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
        case .topicAuthorizationFailed: RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
        case .groupAuthorizationFailed: RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED
        case .leaderNotAvailable: RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE
        case .notCoordinator: RD_KAFKA_RESP_ERR_NOT_COORDINATOR
        }
    }
}

/// Kafka APIs whose requests the mock can be told to fail (Kafka API keys).
public enum MockKafkaAPI: Int16, Sendable, Hashable, CaseIterable {
    case listOffsets = 2
    case metadata = 3
    case offsetFetch = 9
    case findCoordinator = 10
}

/// Why a mock-cluster operation failed.
public struct MockKafkaClusterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, kafka, closed
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A malformed command or an out-of-range argument.
        public static let invalidArgument = Self(.invalidArgument)
        /// librdkafka or the mock refused the operation.
        public static let kafka = Self(.kafka)
        /// The cluster was already closed.
        public static let closed = Self(.closed)

        public var description: String { String(describing: wrapped) }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
