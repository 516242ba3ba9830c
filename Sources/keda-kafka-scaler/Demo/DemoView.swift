import GRPCClient
import KafkaScaler
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The demo's live view: every second it calls the in-process scaler over gRPC
/// exactly as KEDA would (GetMetricSpec, GetMetrics, IsActive), reads the
/// per-partition offsets of the observation that round used from the registry, and
/// prints a frame. Returns after `duration` (which shuts the demo down), else runs
/// until the demo shuts down.
struct DemoView: Service {
    let scaler: ScalerAssembly
    let ref: ScaledObjectRef
    let kafka: DemoKafka
    let start: ContinuousClock.Instant
    let duration: Duration?
    let logger: Logger

    func run() async throws {
        let port = try await scaler.grpcPort()
        let clearScreen = isatty(STDOUT_FILENO) == 1
        var client: GRPCClient?
        var frame = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if client?.isConnected != true {
                client = try? await GRPCClient.connect(host: "127.0.0.1", port: port)
            }
            let lines: [String]
            if let client {
                let round = await KedaRound.run(client, ref: ref, timeout: .seconds(3))
                lines = render(round, scaler: "127.0.0.1:\(port)")
            } else {
                lines = header(scaler: "127.0.0.1:\(port)") + ["", "cannot connect to the scaler; retrying"]
            }
            frame += 1
            emit(lines, clearScreen: clearScreen)
            let elapsed = start.duration(to: .now)
            if let duration, elapsed >= duration { break }
            // Frames on whole seconds since the start; never past the requested duration.
            var next = Duration.seconds(elapsed.components.seconds + 1)
            if let duration { next = min(next, duration) }
            let wake = start + next
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: wake) }
            } catch {
                break
            }
        }
        if let client {
            await client.close()
        }
        logger.debug("demo view stopped", metadata: ["demo.frames": "\(frame)"])
    }

    private func header(scaler: String) -> [String] {
        let elapsed = start.duration(to: .now)
        let rates = DemoTraffic.rates(after: elapsed)
        return [
            "keda-kafka-scaler demo  t=\(elapsed.components.seconds)s  scaler \(scaler)  kafka \(kafka.bootstrapServers) (librdkafka mock, 3 brokers)",
            "workload: producing ~\(Int(rates.produce)) msg/s to \(kafka.topic), "
                + "group \(kafka.group) processing ~\(Int(rates.consume)) msg/s",
        ]
    }

    private func render(_ round: KedaRound, scaler: String) -> [String] {
        var lines = header(scaler: scaler) + [""]
        lines += partitionLines()
        lines.append("")
        for line in callLines(round) { lines.append(line) }
        lines.append("")
        guard let target = round.target, let value = round.value, let active = round.isActive else {
            lines.append("metric    unavailable this round (see the failed call above)")
            return lines
        }
        let estimate = ReplicaEstimate(metric: value.value, target: target.value, active: active, maximum: Int64(kafka.partitions))
        lines.append("metric    \(value.name) = \(value.value)  (target \(target.value) per replica)")
        let activation = ref.scalerMetadata["activationLagThreshold"] ?? "0"
        lines.append("activity  \(active ? "active  (lag >" : "inactive  (lag ≤") activationLagThreshold \(activation))")
        let reason =
            active
            ? "ceil(\(value.value) / \(target.value)) = \(estimate.wanted), at most \(kafka.partitions) partitions"
            : "inactive with minReplicaCount 0"
        lines.append("replicas  \(estimate.replicas)  (\(reason))  " + String(repeating: "■", count: Int(estimate.replicas)))
        return lines
    }

    /// Per-partition offsets and lag from the observation the round just used.
    private func partitionLines() -> [String] {
        guard let partitions = scaler.partitionLags(of: ref, topic: kafka.topic, partitions: kafka.partitions) else {
            return ["partition lag: no observation yet"]
        }
        var lines = ["partition  end offset  committed     lag"]
        for partition in partitions {
            let bar = String(repeating: "█", count: Int(min(40, max(0, partition.lag) / 10)))
            lines.append(
                "\(String(partition.partition).padding(9))  \((partition.latest.map(String.init) ?? "-").padding(10, left: true))  "
                    + "\(String(partition.committed).padding(9, left: true))  \(String(partition.lag).padding(6, left: true))  \(bar)")
        }
        lines.append("total lag \(partitions.reduce(0) { $0 + $1.lag })")
        return lines
    }

    private func callLines(_ round: KedaRound) -> [String] {
        var lines = [round.metricSpec.row { specs in specs.map { "\($0.name), target \($0.value)" }.joined(separator: "; ") }]
        if let metrics = round.metrics {
            lines.append(metrics.row { values in values.map { "\($0.name) = \($0.value)" }.joined(separator: "; ") })
        }
        if let activity = round.activity {
            lines.append(activity.row { "active=\($0)" })
        }
        return lines
    }

    private func emit(_ lines: [String], clearScreen: Bool) {
        let text = (clearScreen ? "\u{1B}[H\u{1B}[2J" : "") + lines.joined(separator: "\n") + (clearScreen ? "\n" : "\n\n")
        print(text, terminator: "")
        fflush(nil)  // stdout is a pipe in tests: each frame must leave at once
    }
}
