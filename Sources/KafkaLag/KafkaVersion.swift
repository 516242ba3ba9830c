/// The trigger's `version` key, validated the way sarama's `ParseKafkaVersion`
/// does so the same strings are accepted and rejected. librdkafka negotiates
/// API versions itself, so the value does not change how Kafka is queried and
/// is not part of ``Source``.
public struct KafkaVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Up to four numeric components: `1.0.0` → [1, 0, 0, 0]; `0.10.2.1` → [0, 10, 2, 1].
    public let components: [UInt64]

    /// sarama's default when `version` is absent: `V1_0_0_0`.
    public static let defaultVersion = KafkaVersion(uncheckedComponents: [1, 0, 0, 0])

    private init(uncheckedComponents: [UInt64]) {
        components = uncheckedComponents
    }

    /// Parses `text`: at least 5 characters; `0.x.y.z` when it starts with `0`,
    /// else `x.y.z`, all ASCII digits.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 5 else { return nil }
        let pieces = GoSyntax.split(text, ".")
        let expected = utf8[0] == UInt8(ascii: "0") ? 4 : 3
        guard pieces.count == expected else { return nil }
        var numbers: [UInt64] = []
        for piece in pieces {
            guard !piece.isEmpty,
                piece.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let number = UInt64(piece)
            else { return nil }
            numbers.append(number)
        }
        if expected == 4 {
            guard pieces[0] == "0" else { return nil }
        } else {
            numbers.append(0)
        }
        components = numbers
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.components.lexicographicallyPrecedes(rhs.components)
    }

    public var description: String {
        let shown = components[0] == 0 ? components : Array(components.prefix(3))
        return shown.map(String.init).joined(separator: ".")
    }
}
