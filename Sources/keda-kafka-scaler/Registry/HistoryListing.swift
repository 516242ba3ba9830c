import Foundation

/// `GET /registry/history` as `registry history` reads it, printed as a timeline.
struct HistoryListing: Decodable {
    struct Event: Decodable {
        var at: String
        var event: String
        var version: UInt64
        var fingerprint: String
        var fromVersion: UInt64?
        var fromFingerprint: String?
        var reason: String?
        var message: String?
    }

    struct Entry: Decodable {
        var namespace: String
        var name: String
        var triggerName: String
        var events: [Event]
    }

    var entries: [Entry]

    /// One heading per entry, then one line per event: time, what, version and source.
    func timeline() -> [String] {
        entries.flatMap { entry in
            let trigger = entry.triggerName.isEmpty ? "" : " trigger \(entry.triggerName)"
            return ["\(entry.namespace)/\(entry.name)\(trigger):"] + entry.events.map(Self.line)
        }
    }

    private static func line(_ event: Event) -> String {
        var text = "  \(event.at)  \(event.event.padding(toLength: 19, withPad: " ", startingAt: 0))"
        if let fromVersion = event.fromVersion, let fromFingerprint = event.fromFingerprint {
            text += "v\(fromVersion) \(fromFingerprint) -> "
        }
        text += "v\(event.version) \(event.fingerprint)"
        if let reason = event.reason { text += "  (\(reason))" }
        if let message = event.message { text += "  \(message)" }
        return text
    }
}
