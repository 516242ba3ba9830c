import KafkaLag
import CRdKafka

extension KafkaLagError {
    /// Maps a librdkafka or Kafka protocol error to our code. `context` says what
    /// was being done; the message adds librdkafka's text, which names brokers and
    /// causes but never credentials.
    static func kafka(_ err: rd_kafka_resp_err_t, _ context: String, detail: String? = nil) -> KafkaLagError {
        let text = detail ?? String(cString: rd_kafka_err2str(err))
        return KafkaLagError(code(for: err), "\(context): \(text) (\(String(cString: rd_kafka_err2name(err))))")
    }

    /// The code a librdkafka or broker error maps to (DESIGN.md §4: failures of the pinned source).
    static func code(for err: rd_kafka_resp_err_t) -> Code {
        switch err {
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            .timedOut
        case RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE, RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM, RD_KAFKA_RESP_ERR__SSL:
            .unauthenticated
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
            .permissionDenied
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR__UNKNOWN_GROUP,
            RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, RD_KAFKA_RESP_ERR_INVALID_GROUP_ID, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
            .failedPrecondition
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__BAD_MSG, RD_KAFKA_RESP_ERR__FAIL,
            RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR__INVALID_TYPE:
            .internalError
        default:
            // Transport, all brokers down, leader moves, throttling: transient by nature.
            .unavailable
        }
    }
}
