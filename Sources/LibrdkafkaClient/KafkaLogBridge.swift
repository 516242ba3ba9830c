import KafkaLag
import CRdKafka
import Logging

/// Routes librdkafka's log and error events into swift-log, with the
/// facility and client name as metadata.
enum KafkaLogBridge {
    /// Logs one `RD_KAFKA_EVENT_LOG` event.
    static func log(_ event: OpaquePointer, client: String, logger: Logger) {
        var facility: UnsafePointer<CChar>?
        var text: UnsafePointer<CChar>?
        var level: Int32 = 0
        guard rd_kafka_event_log(event, &facility, &text, &level) == 0, let text else { return }
        logger.log(
            level: swiftLogLevel(syslog: level),
            Logger.Message(stringLiteral: String(cString: text)),
            metadata: [
                "kafka.client": "\(client)",
                "kafka.facility": "\(facility.map { String(cString: $0) } ?? "")",
            ]
        )
    }

    /// Logs one `RD_KAFKA_EVENT_ERROR` event: librdkafka reports connection
    /// trouble this way while it keeps retrying on its own.
    static func logError(_ err: rd_kafka_resp_err_t, reason: String, fatal: Bool, client: String, logger: Logger) {
        logger.log(
            level: fatal ? .error : .warning,
            "Kafka client error",
            metadata: [
                "kafka.client": "\(client)",
                "kafka.error": "\(String(cString: rd_kafka_err2name(err)))",
                "kafka.reason": "\(reason)",
            ]
        )
    }

    /// librdkafka logs with syslog levels (0 emergency … 7 debug).
    static func swiftLogLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
