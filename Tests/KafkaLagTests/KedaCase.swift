import Foundation
import KafkaLag
import Testing

/// A JSON value of the fixture, as loosely typed as the fixture is.
enum JSONValue: Hashable, Sendable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case .object(let values): "{" + values.keys.sorted().map { "\($0): \(values[$0]!)" }.joined(separator: ",") + "}"
        }
    }

    var stringMap: [String: String] {
        guard case .object(let values) = self else { return [:] }
        return values.compactMapValues { if case .string(let text) = $0 { text } else { nil } }
    }

    var int: Int64? {
        if case .int(let value) = self { value } else { nil }
    }

    var ints: [Int64]? {
        guard case .array(let values) = self else { return nil }
        return values.compactMap(\.int)
    }
}

/// One row of KEDA's Kafka test tables (`keda-kafka-cases.json`).
struct KedaCase: Sendable, Decodable, CustomTestStringConvertible {
    let name: String
    let kind: String
    let kedaVersions: String
    let metadata: JSONValue?
    let authParams: JSONValue?
    let resolvedEnv: JSONValue?
    let expectError: Bool
    let errorContainsDerived: String?
    let expect: JSONValue?
    let derived: JSONValue?
    let input: JSONValue?
    let triggerIndex: Int?
    let partitions: [PartitionRow]?
    let previousOffsets: JSONValue?
    let latestOffsetResponseHasTopic: Bool?
    let expectLag: [LagRow]?
    let brokerTopicPartitionIds: [Int32]?

    struct PartitionRow: Sendable, Decodable {
        let topic: String
        let partition: Int32
        let consumerOffset: Int64
        let latestOffset: Int64?
    }

    struct LagRow: Sendable, Decodable {
        let topic: String
        let partition: Int32
        let lag: Int64
        let lagWithPersistent: Int64
    }

    var testDescription: String { name }

    /// The metadata as KEDA sends it to an external scaler: each `xFromEnv` key
    /// carries its resolved value, or is left out when the variable is missing or
    /// empty (`reference/keda-kafka.md` §2.2).
    var scalerMetadata: [String: String] {
        let env = resolvedEnv?.stringMap ?? [:]
        var result: [String: String] = [:]
        for (key, value) in metadata?.stringMap ?? [:] {
            if key.hasSuffix("FromEnv") {
                if let resolved = env[value], !resolved.isEmpty { result[key] = resolved }
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// The TriggerAuthentication values, which an auth profile supplies here.
    var profile: [String: String] { authParams?.stringMap ?? [:] }

    /// The value of `key` in `expect`, else in `derived`.
    func expected(_ key: String) -> JSONValue? {
        if case .object(let values) = expect, let value = values[key] { return value }
        if case .object(let values) = derived, let value = values[key] { return value }
        return nil
    }

    var expectedKeys: [String] {
        var keys: Set<String> = []
        for case .object(let values) in [expect, derived].compactMap({ $0 }) { keys.formUnion(values.keys) }
        return keys.sorted()
    }
}

/// The fixture, split into the rows that run and the rows left out with a reason.
enum KedaCases {
    static let all: [KedaCase] = {
        guard let url = Bundle.module.url(forResource: "keda-kafka-cases", withExtension: "json", subdirectory: "Fixtures"),
            let data = try? Data(contentsOf: url),
            let cases = try? JSONDecoder().decode([KedaCase].self, from: data)
        else { return [] }
        return cases
    }()

    /// Why a row does not run; `nil` for rows that do.
    static func skipReason(_ row: KedaCase) -> String? {
        if row.kedaVersions.hasPrefix("<=2.19") {
            return "describes KEDA ≤ 2.19's parser; DESIGN.md §3.1 requires ≥ 2.20 semantics, where the ScaledObject value wins"
        }
        if row.kedaVersions.hasPrefix("main@"), row.expectError {
            return "expects KEDA-main-only fullMetadata validation; DESIGN.md §3.2 ignores fullMetadata like any unknown key"
        }
        return nil
    }

    static func runnable(_ kind: String) -> [KedaCase] {
        all.filter { $0.kind == kind && skipReason($0) == nil }
    }

    static var skipped: [KedaCase] { all.filter { skipReason($0) != nil } }
}
