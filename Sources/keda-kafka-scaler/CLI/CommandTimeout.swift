import ArgumentParser
import GRPCClient

/// The `--timeout SECONDS` of the client commands.
enum CommandTimeout {
    /// Throws unless `seconds` is a usable timeout.
    static func validate(_ seconds: Double) throws {
        guard seconds.isFinite, seconds > 0, seconds <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds")
        }
    }

    /// `seconds` as a duration.
    static func duration(_ seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

extension GRPCClient {
    /// Connects to `target` (over TLS when `tls` is given), giving up after `limit`.
    static func connect(to target: HostAndPort, tls: GRPCClientConfiguration.TLS? = nil, within limit: Duration) async throws(GRPCClientError)
        -> GRPCClient
    {
        var configuration = GRPCClientConfiguration.defaults
        configuration.connectTimeout = limit
        configuration.tls = tls
        return try await connect(host: target.host, port: target.port, configuration: configuration)
    }
}
