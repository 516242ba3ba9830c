import ArgumentParser
import Foundation
import KafkaScaler
import NIOHTTP1

/// `registry list|history|reload`: the versioned connection registry through the ops port.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "List the connection registry, show an entry's history or force a reload, through the ops port.",
        discussion: "Exit status: 0 on success, 2 when the ops port cannot be reached, 3 on an error answer, 64 for bad arguments.",
        subcommands: [List.self, History.self, Reload.self]
    )

    /// Where the ops port is.
    struct OpsOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The scaler's ops address (default: 127.0.0.1:$KKS_OPS_PORT, else 127.0.0.1:8080)", valueName: "host:port"))
        var opsAddress: HostAndPort?

        @Option(help: "Seconds the request may take")
        var timeout: Double = 5

        @Option(help: "A file holding the operators' bearer token (the scaler's --admin-token-file)")
        var tokenFile: String?

        func validate() throws {
            try CommandTimeout.validate(timeout)
        }

        /// Sends the request with the token, if any; exits 2 when the ops port cannot be
        /// reached, 3 on a non-2xx answer.
        func send(_ method: HTTPMethod, _ path: String) async throws -> HTTP1Client.Response {
            let address = try opsAddress ?? HostAndPort.loopback(portVariable: "KKS_OPS_PORT", default: 8080)
            return try await Self.send(method, path, to: address, tokenFile: tokenFile, timeout: timeout)
        }

        /// One request to the ops port at `address` (the `registry` commands, `probe --ops-address`).
        static func send(
            _ method: HTTPMethod, _ path: String, to address: HostAndPort, tokenFile: String?, timeout: Double
        ) async throws -> HTTP1Client.Response {
            let authorization = try tokenFile.map { [("Authorization", "Bearer \(try token(from: $0))")] } ?? []
            let response: HTTP1Client.Response
            do {
                response = try await HTTP1Client.send(
                    method, path, host: address.host, port: address.port, headers: authorization,
                    timeout: CommandTimeout.duration(timeout)
                )
            } catch {
                throw failure("the ops port: \(error)", exitCode: 2)
            }
            guard (200..<300).contains(response.status.code) else {
                let body = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
                throw failure("\(method) \(path) answered \(response.status.code) \(response.status.reasonPhrase): \(body)", exitCode: 3)
            }
            return response
        }

        private static func token(from path: String) throws -> String {
            let token: String
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw failure("cannot read --token-file \(path): \(error.localizedDescription)")
            }
            guard !token.isEmpty else { throw failure("--token-file \(path) is empty") }
            return token
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every registry entry and pooled connection (GET /registry).",
            discussion:
                "Needs the token of the scaler's --admin-token-file (--token-file), loopback with --ops-trust-loopback true, or --ops-open-registry true."
        )

        @OptionGroup var ops: OpsOptions

        @Flag(help: "Print the JSON as the ops port returns it")
        var json = false

        func run() async throws {
            let response = try await ops.send(.GET, "/registry")
            if json {
                print(response.text)
                return
            }
            let listing: RegistryListing
            do {
                listing = try JSONDecoder().decode(RegistryListing.self, from: Data(response.body))
            } catch {
                throw failure("GET /registry did not return a registry listing: \(error)", exitCode: 3)
            }
            for line in listing.table() { print(line) }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what happened to a ScaledObject's entries, oldest first (GET /registry/history).",
            discussion: "Needs the same access as `registry list`."
        )

        @OptionGroup var ops: OpsOptions

        @Option(help: "The ScaledObject's namespace")
        var namespace: String

        @Option(help: "The ScaledObject's name")
        var name: String

        @Option(help: "Only this trigger's entry (default: every trigger of the ScaledObject)")
        var triggerName: String?

        @Flag(help: "Print the JSON as the ops port returns it")
        var json = false

        func run() async throws {
            let path = "/registry/history?" + RegistryCommand.entryQuery(namespace: namespace, name: name, triggerName: triggerName)
            let response = try await ops.send(.GET, path)
            if json {
                print(response.text)
                return
            }
            let history: HistoryListing
            do {
                history = try JSONDecoder().decode(HistoryListing.self, from: Data(response.body))
            } catch {
                throw failure("GET /registry/history did not return a history: \(error)", exitCode: 3)
            }
            for line in history.timeline() { print(line) }
        }
    }

    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Adopt the newest source of one entry, or of all (POST /registry/reload).",
            discussion: "Needs the token of the scaler's --admin-token-file (--token-file), or loopback with --ops-trust-loopback true."
        )

        @OptionGroup var ops: OpsOptions

        @Option(help: "The entry's ScaledObject namespace (with --name)")
        var namespace: String?

        @Option(help: "The entry's ScaledObject name (with --namespace)")
        var name: String?

        @Option(help: "The entry's triggerName (default: empty)")
        var triggerName: String?

        func validate() throws {
            guard (namespace == nil) == (name == nil) else {
                throw ValidationError("give both --namespace and --name, or neither to reload every entry")
            }
            guard triggerName == nil || name != nil else { throw ValidationError("--trigger-name needs --namespace and --name") }
        }

        func run() async throws {
            var path = "/registry/reload"
            if let namespace, let name {
                path += "?" + RegistryCommand.entryQuery(namespace: namespace, name: name, triggerName: triggerName)
            }
            let response = try await ops.send(.POST, path)
            print(response.text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// `namespace=N&name=S[&triggerName=T]`, percent-encoded.
    static func entryQuery(namespace: String, name: String, triggerName: String?) -> String {
        var components = URLComponents()
        components.queryItems =
            [URLQueryItem(name: "namespace", value: namespace), URLQueryItem(name: "name", value: name)]
            + (triggerName.map { [URLQueryItem(name: "triggerName", value: $0)] } ?? [])
        return components.percentEncodedQuery ?? ""
    }
}
