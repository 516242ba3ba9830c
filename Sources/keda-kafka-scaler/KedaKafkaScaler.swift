import ArgumentParser

/// The `keda-kafka-scaler` command: a KEDA external scaler for Apache Kafka.
@main
struct KedaKafkaScaler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keda-kafka-scaler",
        abstract: "A KEDA external scaler for Apache Kafka.",
        subcommands: [Serve.self, Demo.self, Probe.self, Health.self, RegistryCommand.self],
        defaultSubcommand: Serve.self
    )

    /// ArgumentParser's entry point, except that bad arguments to `health` exit 1 as
    /// grpc_health_probe's do (scripts and exec probes rely on its codes).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure, CommandLine.arguments.dropFirst().first == Health._commandName {
                printError(fullMessage(for: error))
                exit(withError: ExitCode(Health.Status.invalidArguments))
            }
            exit(withError: error)
        }
    }
}
