/// The `partitionLimitation` key: which partition IDs of the topic count
/// towards lag. Parsed with KEDA's grammar so that the same strings are accepted,
/// expanded and rejected (`reference/keda-kafka.md` §4.1).
public enum PartitionLimitation {
    /// The most partition IDs a limitation may name, ranges expanded. KEDA has no
    /// cap; without one, `0-2147483647` would allocate 8 GiB while parsing. Kafka
    /// topics stay far below this.
    public static let maxPartitionIDs = 100_000

    /// Parses a non-blank limitation: comma-separated IDs and inclusive
    /// `start-end` ranges, each part trimmed; `start > end` is an empty range;
    /// duplicates are kept. Throws KEDA's message for the first bad part, and
    /// KEDA's prefix for the part that takes the total past ``maxPartitionIDs``.
    public static func parse(_ text: String) throws(KafkaLagError) -> [Int32] {
        var partitions: [Int32] = []
        for rawPart in GoSyntax.split(text, ",") {
            let part = GoSyntax.trimSpace(rawPart)
            if part.unicodeScalars.contains("-") {
                let bounds = GoSyntax.split(part, "-")
                guard bounds.count == 2 else {
                    throw KafkaLagError(.invalidMetadata, "invalid partition limitation range: \(part)")
                }
                guard let start = GoSyntax.parseInt32(GoSyntax.trimSpace(bounds[0])),
                    let end = GoSyntax.parseInt32(GoSyntax.trimSpace(bounds[1]))
                else {
                    throw KafkaLagError(.invalidMetadata, "invalid partition limitation: \(part)")
                }
                guard start <= end else { continue }
                try checkCap(adding: Int(end) - Int(start) + 1, to: partitions.count, part: part)
                partitions.append(contentsOf: start...end)
            } else {
                guard let partition = GoSyntax.parseInt32(part) else {
                    throw KafkaLagError(.invalidMetadata, "invalid partition limitation: \(part)")
                }
                try checkCap(adding: 1, to: partitions.count, part: part)
                partitions.append(partition)
            }
        }
        return partitions
    }

    private static func checkCap(adding count: Int, to total: Int, part: String) throws(KafkaLagError) {
        guard total + count <= maxPartitionIDs else {
            throw KafkaLagError(.invalidMetadata, "invalid partition limitation: \(part) (more than \(maxPartitionIDs) partition IDs in all)")
        }
    }

    /// The partitions of a topic that a limitation keeps, in the topic's order;
    /// every partition when `limitation` is `nil`. KEDA fails the poll when none
    /// is left, so that a typo never silently reads zero lag.
    public static func activePartitions(
        of partitions: [Int32], topic: String, limitation: [Int32]?
    ) throws(KafkaLagError) -> [Int32] {
        let active = limitation.map { Set($0) }.map { allowed in partitions.filter(allowed.contains) } ?? partitions
        guard !active.isEmpty else {
            // Partitions exist but the limitation keeps none: the request's own doing.
            throw KafkaLagError(
                .failedPrecondition, "expected at least one active partition within the topic '\(topic)'",
                causedByRequest: !partitions.isEmpty)
        }
        return active
    }
}
