import ArgumentParser
import Foundation
import GRPCClient
import GRPCCore
import KafkaScaler
import NIOHTTP1

/// `probe`: call the scaler the way KEDA does (GetMetricSpec, GetMetrics with the
/// returned name, IsActive) and print each answer, its status and its timing.
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call the scaler the way KEDA does and print the answers.",
        discussion: """
            Sends GetMetricSpec, then GetMetrics with the metric name it returned, then IsActive, \
            all with the same ScaledObjectRef, and stops at the first failure like KEDA. \
            Secret values (passwords, keys, SASL credentials) are masked in the output. \
            Exit status: 0 when every call succeeded, 2 when the scaler cannot be reached, \
            3 when a call failed, 1 for an unusable --file, 64 for bad arguments.
            """
    )

    @Option(
        help: ArgumentHelp(
            "The scaler's gRPC address (default: the file's scalerAddress, else 127.0.0.1:$KKS_PORT or 127.0.0.1:6000)", valueName: "host:port"
        ))
    var address: HostAndPort?

    @Option(
        name: .customLong("metadata"), help: ArgumentHelp("A trigger metadata entry, key=value (repeatable; beats --file)", valueName: "key=value"))
    var metadataEntries: [String] = []

    @Option(help: ArgumentHelp("A ScaledObject/ScaledJob manifest or a single trigger, YAML or JSON", valueName: "trigger.yaml|json"))
    var file: String?

    @Option(help: "The ScaledObject name (default: the file's metadata.name, else probe)")
    var name: String?

    @Option(help: "The ScaledObject namespace (default: the file's metadata.namespace, else default)")
    var namespace: String?

    @Option(help: "Seconds each call may take, sent as grpc-timeout (KEDA's HPA path uses 3)")
    var timeout: Double = 3

    @Flag(
        help: ArgumentHelp(
            "Apply KEDA's …FromEnv rule with this process's environment as the scale target's container env",
            discussion: "Each xFromEnv value names a variable: set and non-empty, the key is sent with its value; otherwise it is left out."
        ))
    var resolveFromEnv = false

    @Option(
        help: ArgumentHelp(
            "Also show the trigger's registry entry from the scaler's ops port: its pin, and during a shadow rollout both sources' lag",
            valueName: "host:port"
        ))
    var opsAddress: HostAndPort?

    @Option(help: "A file holding the operators' bearer token, for --ops-address")
    var opsTokenFile: String?

    @OptionGroup(title: "TLS (a scaler started with --tls-cert)")
    var tls: TLSClientOptions

    func validate() throws {
        try CommandTimeout.validate(timeout)
        _ = try Self.parse(metadataEntries)
        guard file != nil || !metadataEntries.isEmpty else { throw ValidationError("give the trigger metadata with --metadata key=value or --file") }
    }

    func run() async throws {
        let file: TriggerFile?
        do {
            file = try self.file.map { path throws(TriggerFileError) in try TriggerFile.load(path: path) }
        } catch {
            throw failure(error.message)
        }
        var metadata = file?.metadata ?? [:]
        metadata.merge(try Self.parse(metadataEntries)) { $1 }
        var omitted: [String] = []
        if resolveFromEnv {
            let resolution = FromEnvResolution(metadata, environment: ProcessInfo.processInfo.environment)
            metadata = resolution.metadata
            omitted = resolution.omitted
        }
        let target = try address ?? scalerAddress(in: metadata) ?? HostAndPort.loopback(portVariable: "KKS_PORT", default: 6000)
        let ref = ScaledObjectRef(name: name ?? file?.name ?? "probe", namespace: namespace ?? file?.namespace ?? "default", scalerMetadata: metadata)

        print("scaler       \(target)")
        print("scaledobject \(ref.namespace)/\(ref.name)")
        print("metadata")
        for line in SecretMasking.lines(metadata) { print("  \(line)") }
        for key in omitted { print("  \(key) left out: its variable is unset or empty (as KEDA does)") }

        let limit = CommandTimeout.duration(timeout)
        let tlsSettings = try tls.settings()
        let client: GRPCClient
        do {
            client = try await GRPCClient.connect(to: target, tls: tlsSettings, within: limit)
        } catch {
            throw failure(error.message, exitCode: 2)
        }
        let round = await KedaRound.run(client, ref: ref, timeout: limit)
        await client.close()

        print("")
        print(round.metricSpec.row { specs in specs.map { "metricName=\($0.name) targetSize=\($0.value)" }.joined(separator: "; ") })
        if let metrics = round.metrics {
            print(metrics.row { values in values.map { "metricName=\($0.name) metricValue=\($0.value)" }.joined(separator: "; ") })
        }
        if let activity = round.activity {
            print(activity.row { "active=\($0)" })
        }
        if let opsAddress {
            await printRegistryEntry(from: opsAddress, ref: ref, triggerName: metadata["triggerName"]?.trimmingCharacters(in: .whitespaces) ?? "")
        }
        if !round.succeeded { throw ExitCode(3) }
    }

    /// The trigger's entry in `GET /registry`: what the answers above were read through.
    /// The ops port's failures are reported, but the exit status stays the calls'.
    private func printRegistryEntry(from address: HostAndPort, ref: ScaledObjectRef, triggerName: String) async {
        let listing: RegistryListing
        do {
            let response = try await RegistryCommand.OpsOptions.send(.GET, "/registry", to: address, tokenFile: opsTokenFile, timeout: timeout)
            listing = try JSONDecoder().decode(RegistryListing.self, from: Data(response.body))
        } catch {
            print("registry     not shown: GET /registry failed")
            return
        }
        guard let entry = listing.entries.first(where: { $0.namespace == ref.namespace && $0.name == ref.name && $0.triggerName == triggerName })
        else {
            print("registry     no entry for this trigger")
            return
        }
        print(
            "registry     pinned v\(entry.pinned.version) \(entry.pinned.fingerprint) \(entry.state), \(RegistryListing.Evaluation.describe(entry.lastEvaluation))"
        )
        if let rollout = entry.rollout { print("             \(rollout)") }
    }

    /// `scalerAddress` from the trigger metadata, as KEDA would dial it.
    private func scalerAddress(in metadata: [String: String]) throws -> HostAndPort? {
        guard let raw = metadata["scalerAddress"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let address = HostAndPort(argument: raw) else {
            throw failure("scalerAddress '\(raw)' in the metadata is not HOST:PORT; give --address")
        }
        return address
    }

    /// `key=value` entries as a map; a later entry for a key wins.
    static func parse(_ entries: [String]) throws -> [String: String] {
        var metadata: [String: String] = [:]
        for (index, entry) in entries.enumerated() {
            // The entry itself is not echoed: it may hold a secret.
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--metadata entry \(index + 1) is not key=value")
            }
            metadata[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return metadata
    }
}
