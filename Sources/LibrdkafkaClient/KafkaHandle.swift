import KafkaLag
import CRdKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// One librdkafka client (`rd_kafka_t`, consumer type without `group.id`) and
/// its main event queue, which carries logs, errors and statistics.
///
/// `@unchecked Sendable` because `rd_kafka_t` and `rd_kafka_queue_t` are
/// documented thread-safe: librdkafka serialises all access internally. Every
/// Swift-side mutable state here is behind a `Mutex`, and `HandleLifecycle`
/// guarantees `rd_kafka_destroy` never runs while a call still uses the handle.
final class KafkaHandle: @unchecked Sendable {
    let rk: OpaquePointer
    private let mainQueue: OpaquePointer
    /// The bootstrap list, for error messages (no credentials in it).
    let brokers: String
    let name: String
    private let logger: Logger
    /// Serialises draining the main queue, off librdkafka's threads.
    private let drainQueue = DispatchQueue(label: "keda-kafka-scaler.librdkafka.events")
    /// Bounds this handle's share of the blocking-call threads.
    let blockingCalls: BlockingCallGate
    private let lifecycle = Mutex(HandleLifecycle())
    private let events = Mutex(EventState())

    private struct EventState {
        var drained = false
        /// The last connection-level problem since the last success, if any.
        var connectionProblem: KafkaLagError?
        var statisticsWaiters: [CheckedContinuation<KafkaStatistics?, Never>] = []
        /// Requests by API at the previous statistics snapshot, to count the difference.
        var reportedRequests: [String: Int] = [:]
        /// When a wait for an admin request's result first ended before the result came.
        var firstAbandonedRequest: ContinuousClock.Instant?
        /// Reads to wake when an authentication problem is recorded.
        var authenticationWatchers: [UInt64: QueueSignal] = [:]
        var nextWatcher: UInt64 = 0
    }

    /// Answers librdkafka's OAUTHBEARER token refreshes; nil for other mechanisms.
    private let tokens: (any OAuthTokenSource)?

    /// Creates the handle. `rd_kafka_new` takes the conf only on success, so it is destroyed here on failure.
    init(properties: LibrdkafkaProperties, tokens: (any OAuthTokenSource)? = nil, logger: Logger) throws(KafkaLagError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaLagError(.internalError, "rd_kafka_conf_new failed")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        let plumbing: [(key: String, value: String)] = [("log.queue", "true")]
        for (key, value) in plumbing + properties.entries {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                // librdkafka echoes the value in errstr: never show it for a secret.
                let reason = LibrdkafkaProperties.isSecret(key) ? "rejected" : Self.text(errstr)
                throw KafkaLagError(.invalidMetadata, "invalid Kafka setting \(key): \(reason)")
            }
        }
        let tokenEvents = tokens == nil ? 0 : RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_STATS | tokenEvents)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw Self.creationError(Self.text(errstr))
        }
        self.rk = rk
        self.tokens = tokens
        self.mainQueue = rd_kafka_queue_get_main(rk)
        self.brokers = properties["bootstrap.servers"] ?? ""
        self.name = String(cString: rd_kafka_name(rk))
        self.blockingCalls = BlockingCallGate(label: "keda-kafka-scaler.\(name)")
        self.logger = logger
        rd_kafka_set_log_queue(rk, nil)
        rd_kafka_queue_cb_event_enable(
            mainQueue,
            { _, opaque in
                let handle = Unmanaged<KafkaHandle>.fromOpaque(opaque!).takeUnretainedValue()
                handle.drainQueue.async { handle.drain() }
            }, Unmanaged.passUnretained(self).toOpaque())
        drainQueue.async { self.drain() }
    }

    /// `rd_kafka_new` fails mostly on TLS material OpenSSL rejects; name the setting, not the content.
    private static func creationError(_ reason: String) -> KafkaLagError {
        for (needle, key) in [("ssl.ca", "ca"), ("ssl.certificate", "cert"), ("ssl.key", "key")] where reason.contains(needle) {
            return KafkaLagError(.invalidMetadata, "\(key) was rejected by the TLS library")
        }
        return KafkaLagError(.invalidMetadata, "cannot create Kafka client: \(reason)")
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Lifecycle

    /// Runs `body` while the handle is guaranteed alive.
    func withLease<T>(_ body: () async throws(KafkaLagError) -> T) async throws(KafkaLagError) -> T {
        guard lifecycle.withLock({ $0.enter() }) else {
            throw KafkaLagError(.unavailable, "Kafka connection to \(brokers) is closed")
        }
        defer { perform(lifecycle.withLock { $0.exit() }) }
        return try await body()
    }

    /// Destroys the handle once queries in flight have finished; returns when it is gone.
    func close() async {
        await withCheckedContinuation { continuation in
            perform(lifecycle.withLock { $0.close(waiter: continuation) })
        }
    }

    /// Starts closing without waiting (from `deinit` of the owner).
    func closeDetached() {
        perform(lifecycle.withLock { $0.close(waiter: nil) })
    }

    private func perform(_ action: HandleLifecycle.Action) {
        switch action {
        case .none:
            break
        case .resume(let waiter):
            waiter.resume()
        case .destroy(let waiters):
            BlockingCalls.detach {
                self.destroy()
                for waiter in waiters { waiter.resume() }
            }
        }
    }

    /// Blocking: stops event callbacks, then destroys queue and client (which joins librdkafka's threads).
    private func destroy() {
        rd_kafka_queue_cb_event_enable(mainQueue, nil, nil)
        drainQueue.sync {
            events.withLock { $0.drained = true }
        }
        rd_kafka_queue_destroy(mainQueue)
        rd_kafka_destroy(rk)
        let waiters = events.withLock { state in
            defer { state.statisticsWaiters = [] }
            return state.statisticsWaiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        logger.debug("Kafka client closed", metadata: ["kafka.client": "\(name)"])
    }

    // MARK: Events

    private func drain() {
        guard !events.withLock({ $0.drained }) else { return }
        while let event = rd_kafka_queue_poll(mainQueue, 0) {
            defer { rd_kafka_event_destroy(event) }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_LOG:
                KafkaLogBridge.log(event, client: name, logger: logger)
            case RD_KAFKA_EVENT_ERROR:
                let err = rd_kafka_event_error(event)
                let reason = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
                KafkaLogBridge.logError(err, reason: reason, fatal: rd_kafka_event_error_is_fatal(event) != 0, client: name, logger: logger)
                if let problem = connectionProblem(err, reason: reason) { record(problem) }
            case RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH:
                refreshToken()
            case RD_KAFKA_EVENT_STATS:
                guard let json = rd_kafka_event_stats(event), let statistics = KafkaStatistics(json: String(cString: json)) else { break }
                let requests = statistics.requests
                let (waiters, previous) = events.withLock { state in
                    defer {
                        state.statisticsWaiters = []
                        state.reportedRequests = requests
                    }
                    return (state.statisticsWaiters, state.reportedRequests)
                }
                KafkaRequestMetrics.count(requests, since: previous)
                for waiter in waiters { waiter.resume(returning: statistics) }
            default:
                break
            }
        }
    }

    // MARK: OAUTHBEARER

    /// Fetches a token off the event queue (an identity provider may take a while) and
    /// hands it to librdkafka while the handle is alive; a failure fails the connections
    /// waiting for it and is recorded like a broker's refusal.
    private func refreshToken() {
        guard let tokens else { return }
        Task {
            let outcome: Result<OAuthToken, KafkaLagError>
            do throws(KafkaLagError) {
                outcome = .success(try await tokens.token())
            } catch {
                outcome = .failure(error)
            }
            try? await withLease { () throws(KafkaLagError) in install(outcome) }
        }
    }

    private func install(_ outcome: Result<OAuthToken, KafkaLagError>) {
        let problem: KafkaLagError
        switch outcome {
        case .success(let token):
            let lifetime = Int64((token.expiry.timeIntervalSince1970 * 1000).rounded(.down))
            let flat = token.extensions.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
            var errstr = [CChar](repeating: 0, count: 512)
            let copies = flat.map { strdup($0) }
            defer { copies.forEach { free($0) } }
            var extensions = copies.map { UnsafePointer($0) }
            let err = rd_kafka_oauthbearer_set_token(rk, token.value, lifetime, token.principal, &extensions, extensions.count, &errstr, errstr.count)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR else {
                logger.debug(
                    "OAUTHBEARER token set", metadata: ["kafka.client": "\(name)", "principal": "\(token.principal)", "expiry": "\(token.expiry)"])
                return
            }
            // librdkafka's reason names the offending field, never the token.
            problem = KafkaLagError(.unauthenticated, "OAUTHBEARER token refused by the Kafka client: \(Self.text(errstr))")
        case .failure(let error):
            problem = KafkaLagError(error.code, "cannot get an OAUTHBEARER token: \(error.message)")
        }
        rd_kafka_oauthbearer_set_token_failure(rk, problem.message)
        logger.warning("OAUTHBEARER token refresh failed", metadata: ["kafka.client": "\(name)", "error": "\(problem.message)"])
        record(problem)
    }

    /// Records a connection problem and wakes the reads watching for one.
    private func record(_ problem: KafkaLagError) {
        let watchers = events.withLock { state in
            state.connectionProblem = problem
            defer { state.authenticationWatchers = [:] }
            return state.authenticationWatchers.values
        }
        for watcher in watchers { watcher.fire() }
    }

    /// Only authentication problems: unreachable brokers are told to callers in one text
    /// for every cause (see `LibrdkafkaQueries.failure`), and logged here with librdkafka's reason.
    private func connectionProblem(_ err: rd_kafka_resp_err_t, reason: String) -> KafkaLagError? {
        switch err {
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL:
            KafkaLagError(.unauthenticated, "Kafka brokers \(brokers) refused authentication: \(reason)")
        default:
            nil
        }
    }

    /// The authentication problem librdkafka reported since the last success:
    /// it explains a timeout better than the timeout itself.
    var connectionProblem: KafkaLagError? {
        events.withLock { $0.connectionProblem }
    }

    /// Fires `signal` once an authentication problem is recorded, at once if one already
    /// is. Brokers that refuse our credentials refuse them at every retry, so a read stops
    /// waiting for librdkafka's timeout (which can outlast the caller's deadline) and says
    /// why right away.
    func watchAuthentication(_ signal: QueueSignal) -> UInt64 {
        let (id, recorded) = events.withLock { state in
            state.nextWatcher += 1
            if state.connectionProblem == nil { state.authenticationWatchers[state.nextWatcher] = signal }
            return (state.nextWatcher, state.connectionProblem != nil)
        }
        if recorded { signal.fire() }
        return id
    }

    /// Ends a ``watchAuthentication(_:)``.
    func unwatchAuthentication(_ id: UInt64) {
        _ = events.withLock { $0.authenticationWatchers.removeValue(forKey: id) }
    }

    /// A caller stopped waiting for an admin request that librdkafka still runs
    /// (see ``LibrdkafkaQueries/adminRequestTimeout``).
    func abandonedAdminRequest() {
        events.withLock { $0.firstAbandonedRequest = $0.firstAbandonedRequest ?? .now }
    }

    /// Since when an abandoned admin request may still be running, if any.
    var abandonedRequestSince: ContinuousClock.Instant? {
        events.withLock { $0.firstAbandonedRequest }
    }

    /// A query succeeded: earlier connection problems no longer explain anything.
    func markHealthy() {
        events.withLock { $0.connectionProblem = nil }
    }

    /// The next statistics snapshot librdkafka emits (`nil` once closed).
    func nextStatistics() async -> KafkaStatistics? {
        await withCheckedContinuation { continuation in
            let closed = events.withLock { state in
                if state.drained { return true }
                state.statisticsWaiters.append(continuation)
                return false
            }
            if closed { continuation.resume(returning: nil) }
        }
    }
}
