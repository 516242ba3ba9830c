import ArgumentParser

/// The `keda-kafka-scaler` command: a KEDA external scaler for Apache Kafka.
@main
struct KedaKafkaScaler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keda-kafka-scaler",
        abstract: "A KEDA external scaler for Apache Kafka.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}
