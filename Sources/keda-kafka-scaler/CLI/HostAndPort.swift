import ArgumentParser

/// A `HOST:PORT` address given on the command line (`[::1]:6000` for IPv6).
struct HostAndPort: Hashable, Sendable, CustomStringConvertible, ExpressibleByArgument {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil when the port is missing or outside 1...65535.
    init?(argument: String) {
        let hostPart: Substring
        let portPart: Substring
        if argument.hasPrefix("[") {
            guard let close = argument.firstIndex(of: "]"), argument[argument.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = argument[argument.index(after: argument.startIndex)..<close]
            portPart = argument[argument.index(close, offsetBy: 2)...]
        } else {
            guard let colon = argument.lastIndex(of: ":"), !argument[..<colon].contains(":") else { return nil }
            hostPart = argument[..<colon]
            portPart = argument[argument.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (1...65_535).contains(port) else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `127.0.0.1` on the port `serve` would use: `variable` (`KKS_PORT`,
    /// `KKS_OPS_PORT`) if set, else `port`.
    static func loopback(portVariable variable: String, default port: Int) throws -> HostAndPort {
        let resolved: Int
        do {
            resolved = try EnvironmentOption.resolve(nil, variable: variable, default: port) { Int($0) }
        } catch {
            throw failure("\(error)")
        }
        guard (1...65_535).contains(resolved) else { throw failure("\(variable) \(resolved) is not a port to connect to") }
        return HostAndPort(host: "127.0.0.1", port: resolved)
    }
}
