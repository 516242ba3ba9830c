/// `GET /registry` as the CLI reads it (SPEC §7), and its table form.
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
    }

    struct Entry: Decodable, Sendable {
        var namespace: String
        var name: String
        var triggerName: String
        var pinned: Source
        var pending: Source?
        var state: String
        var lastError: String?
        var lastEvaluation: Evaluation?
        var connection: String
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
        var errors: [Int: String] = [:]
        for entry in entries {
            let key = "\(entry.namespace)/\(entry.name)" + (entry.triggerName.isEmpty ? "" : "#\(entry.triggerName)")
            let pinned = "v\(entry.pinned.version) \(entry.pinned.fingerprint) \(entry.pinned.group)/\(entry.pinned.topic.isEmpty ? "*" : entry.pinned.topic)"
            let pending = entry.pending.map { "\($0.fingerprint) since \($0.since ?? "?")" } ?? "-"
            let last = entry.lastEvaluation.map { "lag \($0.totalLag) / metric \($0.metric)\($0.active ? " active" : " inactive")" } ?? "-"
            let connection = "\(entry.connection) (\(states[entry.connection] ?? "closed"))"
            if let error = entry.lastError { errors[rows.count] = error }
            rows.append([key, pinned, pending, entry.state, last, connection])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding($0 == cells.count - 1 ? 0 : widths[$0]) }.joined(separator: "  ")
        }
        var lines = [line(header)]
        for (index, row) in rows.enumerated() {
            lines.append(line(row))
            if let error = errors[index] { lines.append("    last error: \(error)") }
        }
        lines.append("")
        lines.append("connections: " + (connections.isEmpty ? "none" : connections.map {
            "\($0.key) \($0.brokers.joined(separator: ",")) \($0.state), \($0.entries) \($0.entries == 1 ? "entry" : "entries")"
        }.joined(separator: "; ")))
        return lines
    }
}
