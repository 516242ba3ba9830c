import FuzzSupport
import KafkaLag
import ScalerRegistry

/// Trigger metadata as KEDA forwards it, with random keys and values (fields split at
/// NUL, taken as key, value, key, value...), through the whole resolution: KEDA's
/// parameter parsing, own keys, limits, TLS/SASL settings and the source fingerprint.
let resolver = TriggerResolver(directory: AuthProfileDirectory(root: nil))

runFuzzer { data, size in
    let fields = fuzzFields(fuzzInput(data, size))
    var metadata: [String: String] = [:]
    for index in stride(from: 0, to: fields.count - 1, by: 2) {
        metadata[fields[index]] = fields[index + 1]
    }
    _ = try? resolver.trigger(for: metadata, namespace: "fuzz")
    return 0
}
