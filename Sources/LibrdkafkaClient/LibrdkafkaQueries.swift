import KafkaLag
import CRdKafka
import Dispatch
import Synchronization
import TimeUnits

/// ``OffsetQueries`` over one librdkafka handle: topic-scoped Metadata
/// (cached), admin ListConsumerGroupOffsets (one OffsetFetch), and
/// `rd_kafka_offsets_for_times` with logical END offsets (one ListOffsets per
/// leader, all partitions at once).
struct LibrdkafkaQueries: OffsetQueries {
    let handle: KafkaHandle
    let cache: TopicMetadataCache

    func invalidatePartitions(ofTopics topics: [String]) {
        cache.invalidate(topics: topics)
    }

    // MARK: Metadata

    func partitions(ofTopic topic: String, deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [Int32] {
        if let cached = cache.partitions(ofTopic: topic) { return cached }
        let handle = handle
        let partitions = try await blocking(until: deadline, "error describing topics") { timeout -> Result<[Int32], KafkaLagError> in
            guard let rkt = rd_kafka_topic_new(handle.rk, topic, nil) else {
                return .failure(KafkaLagError(.invalidMetadata, "error describing topics: invalid topic name"))
            }
            defer { rd_kafka_topic_destroy(rkt) }
            var metadata: UnsafePointer<rd_kafka_metadata_t>?
            let err = rd_kafka_metadata(handle.rk, 0, rkt, &metadata, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(failure(err, "error describing topics", timeout: timeout))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
            guard let entry = topics.first(where: { String(cString: $0.topic) == topic }) else {
                return .failure(KafkaLagError(.failedPrecondition, "error describing topics: expected only 1 topic metadata, got \(topics.count)"))
            }
            if entry.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART {
                // sarama's text, which KEDA wraps.
                return .failure(
                    KafkaLagError(
                        .failedPrecondition,
                        "error describing topics: kafka server: Request was for a topic or partition that does not exist on this broker"
                    ))
            }
            guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(.kafka(entry.err, "error describing topics"))
            }
            return .success(UnsafeBufferPointer(start: entry.partitions, count: Int(entry.partition_cnt)).map(\.id))
        }
        cache.store(partitions, forTopic: topic)
        return partitions
    }

    // MARK: OffsetFetch

    func committedOffsets(
        group: String,
        partitions: [TopicPartition]?,
        deadline: ContinuousClock.Instant
    ) async throws(KafkaLagError) -> [TopicPartition: Int64] {
        let context = "error listing consumer group offsets for group \(group)"
        let timeout = try milliseconds(until: deadline, for: context)
        guard let queue = rd_kafka_queue_new(handle.rk) else {
            throw KafkaLagError(.internalError, "\(context): rd_kafka_queue_new failed")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let signal = QueueSignal()
        rd_kafka_queue_cb_event_enable(
            queue,
            { _, opaque in
                Unmanaged<QueueSignal>.fromOpaque(opaque!).takeUnretainedValue().fire()
            }, Unmanaged.passUnretained(signal).toOpaque())
        // Disabling takes the queue lock, so no callback still runs once it returns.
        defer { withExtendedLifetime(signal) { rd_kafka_queue_cb_event_enable(queue, nil, nil) } }

        let watcher = handle.watchAuthentication(signal)
        defer { handle.unwatchAuthentication(watcher) }
        try sendListConsumerGroupOffsets(group: group, partitions: partitions, queue: queue, context: context)
        // The request runs on librdkafka's own (long) timeout; the caller's deadline or an
        // authentication refusal ends only this wait.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout))) { signal.fire() }
        await signal.wait()

        guard let event = rd_kafka_queue_poll(queue, 0) else {
            // Destroying the queue is safe: the request holds its own reference to it.
            handle.abandonedAdminRequest()
            throw failure(RD_KAFKA_RESP_ERR__TIMED_OUT, context, timeout: timeout)
        }
        defer { rd_kafka_event_destroy(event) }
        return try parseListConsumerGroupOffsets(event, context: context, timeout: timeout)
    }

    /// librdkafka's longest admin request timeout (1 hour). librdkafka 2.0.2 frees an admin
    /// request's state when its timer fires even if the request still waits for the group
    /// coordinator, and aborts (`rd_kafka_enq_once_del_source_return: Assertion
    /// 'eonce->refcnt > 0'`) when that coordinator becomes reachable later. So the timer must
    /// never fire while the handle lives: the caller's deadline ends only our wait, and a
    /// handle with a request abandoned for ``KafkaClientConfiguration/abandonedRequestLimit``
    /// is replaced (destroying a handle fails its waiting requests safely).
    static let adminRequestTimeout: Int32 = 3_600_000

    private func sendListConsumerGroupOffsets(
        group: String,
        partitions: [TopicPartition]?,
        queue: OpaquePointer,
        context: String
    ) throws(KafkaLagError) {
        guard let options = rd_kafka_AdminOptions_new(handle.rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS) else {
            throw KafkaLagError(.internalError, "\(context): rd_kafka_AdminOptions_new failed")
        }
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 256)
        let err = rd_kafka_AdminOptions_set_request_timeout(options, Self.adminRequestTimeout, &errstr, errstr.count)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaLagError(.internalError, "\(context): \(KafkaHandle.text(errstr))")
        }
        // NULL partitions is the all-topics form; the request copies the list.
        let list = partitions.map(Self.makeList)
        defer { list.map { rd_kafka_topic_partition_list_destroy($0) } }
        var request = rd_kafka_ListConsumerGroupOffsets_new(group, list)
        defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
        rd_kafka_ListConsumerGroupOffsets(handle.rk, &request, 1, options, queue)
    }

    private func parseListConsumerGroupOffsets(_ event: OpaquePointer, context: String, timeout: Int32) throws(KafkaLagError) -> [TopicPartition:
        Int64]
    {
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw failure(err, context, timeout: timeout, detail: rd_kafka_event_error_string(event).map { String(cString: $0) })
        }
        var count = 0
        guard let result = rd_kafka_event_ListConsumerGroupOffsets_result(event),
            let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count), count == 1,
            let group = groups[0]
        else {
            throw KafkaLagError(.internalError, "\(context): unexpected ListConsumerGroupOffsets result")
        }
        if let error = rd_kafka_group_result_error(group) {
            throw failure(rd_kafka_error_code(error), context, timeout: timeout, detail: String(cString: rd_kafka_error_string(error)))
        }
        var offsets: [TopicPartition: Int64] = [:]
        guard let list = rd_kafka_group_result_partitions(group) else { return offsets }
        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
            let topic = String(cString: element.topic)
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw .kafka(element.err, "error finding offset block for topic \(topic) and partition \(element.partition)")
            }
            // librdkafka reports "no committed offset" as OFFSET_INVALID (-1001); KEDA's sarama says -1.
            offsets[TopicPartition(topic: topic, partition: element.partition)] = element.offset < 0 ? -1 : element.offset
        }
        return offsets
    }

    // MARK: ListOffsets

    func logEndOffsets(of partitions: [TopicPartition], deadline: ContinuousClock.Instant) async throws(KafkaLagError) -> [String: [Int32: Int64]] {
        guard !partitions.isEmpty else { return [:] }
        let context = "error listing latest offsets"
        let handle = handle
        return try await blocking(until: deadline, context) { timeout -> Result<[String: [Int32: Int64]], KafkaLagError> in
            let list = Self.makeList(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for index in 0..<Int(list.pointee.cnt) {
                list.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_END)
            }
            let err = rd_kafka_offsets_for_times(handle.rk, list, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(failure(err, context, timeout: timeout))
            }
            var latest: [String: [Int32: Int64]] = [:]
            for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
                let topic = String(cString: element.topic)
                guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    return .failure(
                        failure(element.err, "error listing latest offset for topic \(topic) and partition \(element.partition)", timeout: timeout))
                }
                latest[topic, default: [:]][element.partition] = element.offset
            }
            return .success(latest)
        }
    }

    /// Runs a blocking call with the time left until `deadline` (in ms) once one of the
    /// handle's slots for blocking calls is free; a call still waiting at the deadline
    /// times out without reaching librdkafka. An authentication refusal ends the wait
    /// at once; the call then finishes on its lane under a lease of its own, so the handle
    /// outlives it.
    private func blocking<T: Sendable>(
        until deadline: ContinuousClock.Instant, _ context: String, _ body: @escaping @Sendable (Int32) -> Result<T, KafkaLagError>
    ) async throws(KafkaLagError) -> T {
        let signal = QueueSignal()
        let outcome = Mutex<Result<T, KafkaLagError>?>(nil)
        let watcher = handle.watchAuthentication(signal)
        defer { handle.unwatchAuthentication(watcher) }
        let queries = self
        Task {
            let result: Result<T, KafkaLagError>
            do throws(KafkaLagError) {
                result = try await queries.handle.withLease { () async throws(KafkaLagError) in
                    let call = await queries.handle.blockingCalls.run(until: deadline) { () -> Result<T, KafkaLagError> in
                        Result { () throws(KafkaLagError) in try queries.milliseconds(until: deadline, for: context) }.flatMap(body)
                    }
                    return call ?? .failure(queries.failure(RD_KAFKA_RESP_ERR__TIMED_OUT, context, timeout: 0))
                }
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            signal.fire()
        }
        await signal.wait()
        guard let result = outcome.withLock({ $0 }) else {
            throw failure(RD_KAFKA_RESP_ERR__TIMED_OUT, context, timeout: 0)
        }
        return try result.get()
    }

    // MARK: Helpers

    private static func makeList(_ partitions: [TopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        for partition in partitions {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
        }
        return list
    }

    /// Time left before `deadline`, as librdkafka's `timeout_ms`.
    private func milliseconds(until deadline: ContinuousClock.Instant, for context: String) throws(KafkaLagError) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else {
            throw failure(RD_KAFKA_RESP_ERR__TIMED_OUT, context, timeout: 0)
        }
        return Int32(clamping: left.roundedUpMilliseconds)
    }

    /// Maps an error. A timeout or transport failure names the brokers in one text for
    /// refused, filtered and unresolvable hosts alike, so error texts cannot be used to
    /// scan ports (librdkafka's reason is in the scaler's own log); an authentication
    /// refusal librdkafka reported meanwhile explains it instead.
    private func failure(_ err: rd_kafka_resp_err_t, _ context: String, timeout: Int32, detail: String? = nil) -> KafkaLagError {
        let code = KafkaLagError.code(for: err)
        guard code == .timedOut || code == .unavailable else {
            return .kafka(err, context, detail: detail)
        }
        if let problem = handle.connectionProblem {
            return KafkaLagError(problem.code, "\(context): \(problem.message)")
        }
        return KafkaLagError(.timedOut, "\(context): Kafka brokers \(handle.brokers) unreachable or not answering within \(timeout) ms")
    }
}
