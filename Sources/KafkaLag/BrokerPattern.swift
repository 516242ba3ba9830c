/// A `host[:port]` pattern a bootstrap server must match before anything dials it:
/// an exact host, or `*.suffix` for any host below `suffix`; without a port, any
/// port. Hosts compare case-insensitively. Used by auth-profile scopes
/// (`allowedBrokers`).
public struct BrokerPattern: Hashable, Sendable, CustomStringConvertible {
    /// Lower-cased host, or the suffix after `*.` when ``wildcard``.
    public let host: String
    public let wildcard: Bool
    public let port: Int?

    /// Parses one pattern; `nil` when it is not of the form above.
    public init?(_ text: String) {
        let (hostText, portText) = Self.split(text)
        var host = hostText.lowercased()
        wildcard = host.hasPrefix("*.")
        if wildcard { host.removeFirst(2) }
        guard !host.isEmpty, !host.contains("*") else { return nil }
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else { return nil }
            self.port = port
        } else {
            port = nil
        }
        self.host = host
    }

    /// Whether the bootstrap server `broker` (`host:port`) matches.
    public func matches(_ broker: String) -> Bool {
        let (brokerHost, brokerPort) = Self.split(broker)
        let candidate = brokerHost.lowercased()
        if let port, brokerPort.flatMap({ Int($0) }) != port { return false }
        return wildcard ? candidate.hasSuffix("." + host) : candidate == host
    }

    /// The items of a list separated by commas, spaces or new lines (flag values, profile files).
    public static func items(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    /// Every pattern of such a list, or the first item that is none.
    public static func list(_ text: String) -> Result<[BrokerPattern], InvalidBrokerPattern> {
        var patterns: [BrokerPattern] = []
        for item in items(text) {
            guard let pattern = BrokerPattern(item) else { return .failure(InvalidBrokerPattern(item: item)) }
            patterns.append(pattern)
        }
        return .success(patterns)
    }

    /// The first of `brokers` that none of `patterns` matches, if any.
    public static func firstOutside(_ brokers: [String], _ patterns: [BrokerPattern]) -> String? {
        brokers.first { broker in !patterns.contains { $0.matches(broker) } }
    }

    public var description: String {
        (wildcard ? "*." : "") + host + (port.map { ":\($0)" } ?? "")
    }

    /// `host:port` apart, accepting `[v6]:port`; a trailing part that is not all digits belongs to the host.
    private static func split(_ text: String) -> (host: String, port: String?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : nil)
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        let port = text[text.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), text[..<colon].firstIndex(of: ":") == nil else {
            return (text, nil)
        }
        return (String(text[..<colon]), String(port))
    }
}

/// A list item that is not a ``BrokerPattern``.
public struct InvalidBrokerPattern: Error, Sendable {
    public let item: String
}
