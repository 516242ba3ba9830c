import Synchronization
import KafkaLag
@testable import ScalerRegistry

/// A clock tests move by hand; the registry's background work (candidate reads) reads it too.
final class ManualClock: RegistryClock {
    private let current = Mutex(RegistryInstant(monotonic: .seconds(1000), wallSeconds: 1_800_000_000))

    func now() -> RegistryInstant { current.withLock { $0 } }

    func advance(_ duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }
}

enum Fixtures {
    static let key = RegistryKey(namespace: "shop", name: "orders-consumer", triggerName: "")

    static func source(_ brokers: String = "a:9092", group: String = "orders", topic: String = "orders", password: String? = nil) -> Source {
        Source(
            connection: ConnectionSettings(bootstrapServers: [brokers], security: SecuritySettings(password: password)),
            consumerGroup: group,
            topic: topic
        )
    }

    static func admission(
        _ source: Source, version: UInt64 = 0, key: RegistryKey = key, identity: UInt64? = nil, rollout: RolloutPolicy = .immediate
    ) -> RegistryStateMachine.Admission {
        .init(
            key: key, version: version, source: source,
            metadata: ["bootstrapServers": source.connection.bootstrapServers.joined(separator: ","), "configVersion": "\(version)"],
            identity: identity, rollout: rollout)
    }

    static let t0 = RegistryInstant(monotonic: .seconds(1000), wallSeconds: 1_800_000_000)
}
