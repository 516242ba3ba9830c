import Foundation

/// What `probe --file` takes from a manifest: a ScaledObject or ScaledJob (YAML or
/// JSON, possibly one document among several) gives its first trigger's `metadata`
/// and its own name and namespace; a bare trigger (`type` + `metadata`) gives its
/// `metadata`. Values are sent as written, the way KEDA sends `scalerMetadata`.
struct TriggerFile: Hashable, Sendable {
    /// The trigger's metadata.
    var metadata: [String: String]
    /// `metadata.name` of the ScaledObject, if the file is one.
    var name: String?
    /// `metadata.namespace` of the ScaledObject, if the file has one.
    var namespace: String?

    /// Reads and parses `path`; JSON when it ends in `.json`, YAML otherwise.
    static func load(path: String) throws(TriggerFileError) -> TriggerFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TriggerFileError(.unreadable, "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(data, json: path.lowercased().hasSuffix(".json"), source: path)
    }

    /// Parses a manifest's bytes; `source` names it in errors.
    static func parse(_ data: Data, json: Bool, source: String) throws(TriggerFileError) -> TriggerFile {
        let documents: [ManifestValue]
        if json {
            do {
                documents = [try ManifestValue.json(data)]
            } catch {
                throw TriggerFileError(.malformed, "\(source) is not valid JSON: \(error)")
            }
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                throw TriggerFileError(.malformed, "\(source) is not UTF-8 text")
            }
            do {
                documents = try ManifestValue.yamlDocuments(text)
            } catch {
                throw TriggerFileError(.malformed, "\(source) is not valid YAML: \(error)")
            }
        }
        for document in documents {
            if let file = try scalerObject(document, source: source) { return file }
            if let file = try trigger(document, source: source) { return file }
        }
        throw TriggerFileError(
            .noTrigger,
            "\(source) holds neither a ScaledObject/ScaledJob with spec.triggers nor a trigger with type and metadata"
        )
    }

    /// A ScaledObject or ScaledJob: `spec.triggers[0].metadata`, named by `metadata`.
    private static func scalerObject(_ document: ManifestValue, source: String) throws(TriggerFileError) -> TriggerFile? {
        guard let triggers = document["spec"]?["triggers"] else { return nil }
        guard case .list(let list) = triggers, let first = list.first else {
            throw TriggerFileError(.noTrigger, "\(source): spec.triggers is empty or not a list")
        }
        guard let metadata = first["metadata"] else {
            throw TriggerFileError(.noTrigger, "\(source): spec.triggers[0] has no metadata")
        }
        return TriggerFile(
            metadata: try strings(metadata, at: "spec.triggers[0].metadata", source: source),
            name: document["metadata"]?["name"]?.text,
            namespace: document["metadata"]?["namespace"]?.text
        )
    }

    /// A bare trigger: `type` and a `metadata` map.
    private static func trigger(_ document: ManifestValue, source: String) throws(TriggerFileError) -> TriggerFile? {
        guard document["type"]?.text != nil, let metadata = document["metadata"] else { return nil }
        return TriggerFile(metadata: try strings(metadata, at: "metadata", source: source))
    }

    /// A map of scalars as strings; `null` values are left out (blank means absent).
    private static func strings(_ value: ManifestValue, at path: String, source: String) throws(TriggerFileError) -> [String: String] {
        guard case .map(let entries) = value else {
            throw TriggerFileError(.invalidMetadata, "\(source): \(path) is not a map")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in entries {
            switch entry {
            case .null: continue
            case .scalar(let text): metadata[key] = text
            case .list, .map: throw TriggerFileError(.invalidMetadata, "\(source): \(path).\(key) is not a string")
            }
        }
        return metadata
    }
}

/// Why a trigger file could not be used.
struct TriggerFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    struct Code: Hashable, Sendable {
        private enum Value: Hashable, Sendable { case unreadable, malformed, noTrigger, invalidMetadata }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be read.
        static let unreadable = Code(.unreadable)
        /// Not valid YAML or JSON.
        static let malformed = Code(.malformed)
        /// No ScaledObject, ScaledJob or trigger in it.
        static let noTrigger = Code(.noTrigger)
        /// The trigger's metadata is not a map of strings.
        static let invalidMetadata = Code(.invalidMetadata)
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
