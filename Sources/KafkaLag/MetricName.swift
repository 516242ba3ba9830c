/// The external metric name, identical to the in-tree trigger's so HPA names
/// and `status.externalMetricNames` do not change when a ScaledObject moves from
/// `type: kafka` to `type: external` (KEDA prefixes `s<index>-` itself).
public enum MetricName {
    /// `kafka-<topic>`, or `kafka-<consumerGroup>-topics` without a topic, normalised.
    public static func forTrigger(topic: String, consumerGroup: String) -> String {
        normalize(topic.isEmpty ? "kafka-\(consumerGroup)-topics" : "kafka-\(topic)")
    }

    /// KEDA's `NormalizeString`: each of `/ . : % ( )` becomes `-`.
    public static func normalize(_ name: String) -> String {
        let replaced: Set<Unicode.Scalar> = ["/", ".", ":", "%", "(", ")"]
        var out = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            out.append(replaced.contains(scalar) ? "-" : scalar)
        }
        return String(out)
    }
}
