import KafkaLag
import ScalerRegistry
import Synchronization

/// A request's trigger resolved once for an interned ref: the parsed metadata and the
/// registry admission built from it. A class, so the request path passes one
/// reference instead of copying every string of the trigger.
final class ResolvedTrigger: Sendable {
    /// ``TriggerResolver/generation`` read before resolving; an older one is resolved again.
    let generation: UInt64
    /// The ref it was resolved from, to resolve it again.
    let ref: ScaledObjectRef
    let trigger: KafkaTrigger
    let admission: RegistryStateMachine.Admission

    /// Identities of admissions: each resolution admits one value, so the registry can
    /// recognise a repeat of it without comparing sources.
    private static let identities = Atomic<UInt64>(0)

    init(generation: UInt64, trigger: KafkaTrigger, ref: ScaledObjectRef) {
        self.generation = generation
        self.ref = ref
        self.trigger = trigger
        self.admission = .init(
            key: RegistryKey(namespace: ref.namespace, name: ref.name, triggerName: trigger.triggerName),
            version: trigger.configVersion, source: trigger.source, metadata: ref.scalerMetadata,
            identity: Self.identities.add(1, ordering: .relaxed).newValue, rollout: trigger.rollout)
    }
}
