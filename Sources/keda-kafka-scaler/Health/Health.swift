import ArgumentParser
import GRPCClient
import GRPCCore

/// `health`: one `grpc.health.v1.Health/Check`, with grpc_health_probe's exit codes so
/// it can replace it in exec probes and scripts.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the scaler's gRPC health (grpc_health_probe's exit codes).",
        discussion: "Exit status: 0 SERVING, 1 bad arguments, 2 connection failure, 3 RPC failure (e.g. unknown service), 4 not SERVING."
    )

    /// grpc_health_probe's exit codes.
    enum Status {
        static let invalidArguments: Int32 = 1
        static let connectionFailure: Int32 = 2
        static let rpcFailure: Int32 = 3
        static let unhealthy: Int32 = 4
    }

    @Option(help: ArgumentHelp("The scaler's gRPC address (default: 127.0.0.1:$KKS_PORT, else 127.0.0.1:6000)", valueName: "host:port"))
    var address: HostAndPort?

    @Option(help: "The service to check; empty means the whole server")
    var service = ""

    @Option(help: "Seconds for connecting and for the call each")
    var timeout: Double = 1

    @OptionGroup(title: "TLS (a scaler started with --tls-cert)")
    var tls: TLSClientOptions

    func validate() throws {
        try CommandTimeout.validate(timeout)
    }

    func run() async throws {
        let target = try address ?? HostAndPort.loopback(portVariable: "KKS_PORT", default: 6000)
        let limit = CommandTimeout.duration(timeout)
        let tlsSettings = try tls.settings()
        let client: GRPCClient
        do {
            client = try await GRPCClient.connect(to: target, tls: tlsSettings, within: limit)
        } catch {
            throw failure("failed to connect service at \"\(target)\": \(error.message)", exitCode: Status.connectionFailure)
        }
        let result = await client.unary(
            "/grpc.health.v1.Health/Check", request: service,
            requestCodec: HealthService.requestCodec, responseCodec: HealthService.responseCodec, timeout: limit
        )
        await client.close()
        switch result {
        case .failure(let error):
            throw failure("health rpc failed: \(error)", exitCode: Status.rpcFailure)
        case .success(let status) where status != .serving:
            printError("service unhealthy (responded with \"\(status)\")")
            throw ExitCode(Status.unhealthy)
        case .success(let status):
            print("status: \(status)")
        }
    }
}
