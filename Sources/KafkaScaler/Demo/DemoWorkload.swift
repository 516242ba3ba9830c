import KafkaMockCluster
import Logging
public import ServiceLifecycle
import TimeUnits

/// Drives ``DemoTraffic`` against the mock cluster: every tick it produces to the
/// topic and commits for the consumer group, until the demo shuts down.
public struct DemoWorkload: Service {
    let cluster: MockKafkaCluster
    let group: String
    let start: ContinuousClock.Instant
    var traffic: DemoTraffic
    let logger: Logger
    let tick = Duration.milliseconds(250)

    public func run() async throws {
        var traffic = self.traffic
        var last = start
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let now = ContinuousClock.now
            let step = traffic.step(at: start.duration(to: now).inSeconds, interval: last.duration(to: now).inSeconds)
            last = now
            do {
                if !step.produce.isEmpty { try await cluster.produce(step.produce) }
                if !step.commit.isEmpty { try await cluster.commit(group: group, offsets: step.commit) }
            } catch {
                logger.warning("demo workload step failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            } catch {
                return
            }
        }
    }
}
