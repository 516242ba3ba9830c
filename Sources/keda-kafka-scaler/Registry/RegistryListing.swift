/// `GET /registry` as the CLI reads it (DESIGN.md §6), and its table form.
struct RegistryListing: Decodable, Sendable {
    struct Source: Decodable, Sendable {
        var version: UInt64
        var fingerprint: String
        var brokers: [String]
        var group: String
        var topic: String
        var since: String?
    }

    struct Evaluation: Decodable, Sendable {
        var at: String
        var metric: Int64
        var active: Bool
        var totalLag: Int64

        /// `lag L / metric M active|inactive`, or `-` before the first evaluation.
        static func describe(_ evaluation: Evaluation?) -> String {
            evaluation.map { "lag \($0.totalLag) / metric \($0.metric)\($0.active ? " active" : " inactive")" } ?? "-"
        }
    }

    /// A shadow rollout's candidate (the source's fields, then the rollout's).
    struct Candidate: Decodable, Sendable {
        var version: UInt64
        var fingerprint: String
        var state: String
        var observations: Int
        var required: Int
        var failedReads: Int
        var lastError: String?
        var lastEvaluation: Evaluation?
    }

    struct Entry: Decodable, Sendable {
        var namespace: String
        var name: String
        var triggerName: String
        var pinned: Source
        var pending: Source?
        var candidate: Candidate?
        var state: String
        var lastError: String?
        var lastEvaluation: Evaluation?
        var connection: String

        /// The rollout under way, with both sources' last lag side by side; nil without one.
        var rollout: String? {
            candidate.map { candidate in
                var text =
                    "rollout to v\(candidate.version) \(candidate.fingerprint): \(candidate.state), "
                    + "\(candidate.observations) of \(candidate.required) observations"
                if candidate.failedReads > 0 { text += ", \(candidate.failedReads) failed \(candidate.failedReads == 1 ? "read" : "reads")" }
                text +=
                    "; candidate \(Evaluation.describe(candidate.lastEvaluation)), pinned v\(pinned.version) \(Evaluation.describe(lastEvaluation))"
                if let error = candidate.lastError { text += "; candidate error: \(error)" }
                return text
            }
        }
    }

    struct Connection: Decodable, Sendable {
        var key: String
        var brokers: [String]
        var entries: Int
        var state: String
    }

    var entries: [Entry]
    var connections: [Connection]

    /// One row per entry (its last error on an indented line below it), then the
    /// connections.
    func table() -> [String] {
        guard !entries.isEmpty else { return ["no registry entries (none admitted yet)"] }
        let states = Dictionary(connections.map { ($0.key, $0.state) }, uniquingKeysWith: { first, _ in first })
        let header = ["KEY", "PINNED", "PENDING", "STATE", "LAST LAG/METRIC", "CONNECTION"]
        var rows: [[String]] = []
        var notes: [Int: [String]] = [:]
        for entry in entries {
            let key = "\(entry.namespace)/\(entry.name)" + (entry.triggerName.isEmpty ? "" : "#\(entry.triggerName)")
            let pinned =
                "v\(entry.pinned.version) \(entry.pinned.fingerprint) \(entry.pinned.group)/\(entry.pinned.topic.isEmpty ? "*" : entry.pinned.topic)"
            let pending = entry.pending.map { "\($0.fingerprint) since \($0.since ?? "?")" } ?? "-"
            let last = Evaluation.describe(entry.lastEvaluation)
            let connection = "\(entry.connection) (\(states[entry.connection] ?? "closed"))"
            notes[rows.count] = [entry.rollout, entry.lastError.map { "last error: \($0)" }].compactMap { $0 }
            rows.append([key, pinned, pending, entry.state, last, connection])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding($0 == cells.count - 1 ? 0 : widths[$0]) }.joined(separator: "  ")
        }
        var lines = [line(header)]
        for (index, row) in rows.enumerated() {
            lines.append(line(row))
            lines += notes[index, default: []].map { "    \($0)" }
        }
        lines.append("")
        lines.append(
            "connections: "
                + (connections.isEmpty
                    ? "none"
                    : connections.map {
                        "\($0.key) \($0.brokers.joined(separator: ",")) \($0.state), \($0.entries) \($0.entries == 1 ? "entry" : "entries")"
                    }.joined(separator: "; ")))
        return lines
    }
}
