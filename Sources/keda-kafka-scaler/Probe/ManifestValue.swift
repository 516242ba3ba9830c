import Foundation
import Yams

/// A parsed YAML or JSON document, reduced to what trigger files need: scalars keep
/// their text as written (`lagThreshold: 10` is `"10"`, as Kubernetes would send it).
indirect enum ManifestValue: Hashable, Sendable {
    case null
    case scalar(String)
    case list([ManifestValue])
    case map([String: ManifestValue])

    /// The value under `key` of a map.
    subscript(key: String) -> ManifestValue? {
        guard case .map(let entries) = self else { return nil }
        return entries[key]
    }

    /// The text of a scalar.
    var text: String? {
        guard case .scalar(let text) = self else { return nil }
        return text
    }

    /// Every document of a YAML stream (`---`-separated).
    static func yamlDocuments(_ text: String) throws -> [ManifestValue] {
        var nodes = try Yams.compose_all(yaml: text)
        var documents: [ManifestValue] = []
        while let node = nodes.next() {
            documents.append(try ManifestValue(node))
        }
        // The sequence ends at a parse error and keeps it.
        if let error = nodes.error { throw error }
        return documents
    }

    /// One JSON document.
    static func json(_ data: Data) throws -> ManifestValue {
        try JSONDecoder().decode(JSONNode.self, from: data).value
    }

    private init(_ node: Node) throws {
        switch node {
        case .scalar(let scalar):
            self = node.null != nil ? .null : .scalar(scalar.string)
        case .sequence(let sequence):
            self = .list(try sequence.map { try ManifestValue($0) })
        case .mapping(let mapping):
            var entries: [String: ManifestValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a mapping key is not a scalar"))
                }
                entries[name] = try ManifestValue(value)
            }
            self = .map(entries)
        case .alias:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unresolved YAML alias"))
        }
    }
}

/// JSON through Foundation's decoder into a ``ManifestValue``.
private struct JSONNode: Decodable {
    let value: ManifestValue

    init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var items: [ManifestValue] = []
            while !list.isAtEnd { items.append(try list.decode(JSONNode.self).value) }
            value = .list(items)
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var entries: [String: ManifestValue] = [:]
            for key in object.allKeys { entries[key.stringValue] = try object.decode(JSONNode.self, forKey: key).value }
            value = .map(entries)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                value = .null
            } else if let flag = try? single.decode(Bool.self) {
                value = .scalar(String(flag))
            } else if let integer = try? single.decode(Int64.self) {
                value = .scalar(String(integer))
            } else if let number = try? single.decode(Double.self) {
                value = .scalar(String(number))
            } else {
                value = .scalar(try single.decode(String.self))
            }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
