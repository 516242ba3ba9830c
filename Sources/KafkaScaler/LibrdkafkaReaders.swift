import KafkaLag
import Logging
import ScalerRegistry

/// Opens one librdkafka client per pooled connection.
public struct LibrdkafkaReaders: OffsetReaderFactory {
    private let configuration: KafkaClientConfiguration
    private let logger: Logger

    public init(configuration: KafkaClientConfiguration, logger: Logger) {
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
