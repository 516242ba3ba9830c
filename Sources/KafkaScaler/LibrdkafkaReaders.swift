import KafkaLag
import Logging
import ScalerRegistry

/// Opens one librdkafka client per pooled connection.
public struct LibrdkafkaReaders: OffsetReaderFactory {
    private let configuration: KafkaClientConfiguration
    private let logger: Logger

    /// Clients use `configuration`, with librdkafka statistics every
    /// `statisticsInterval` (they feed `kafka_scaler_kafka_requests_total`).
    public init(configuration: KafkaClientConfiguration, statisticsInterval: Duration = .seconds(15), logger: Logger) {
        var configuration = configuration
        configuration.statisticsInterval = statisticsInterval
        self.configuration = configuration
        self.logger = logger
    }

    public func makeReader(for settings: ConnectionSettings) throws(KafkaLagError) -> any OffsetReader {
        var logger = logger
        logger[metadataKey: "kafka.connection"] = "\(settings.fingerprint)"
        return try KafkaClient(connection: settings, configuration: configuration, logger: logger)
    }
}

extension KafkaClient: OffsetReader {}
