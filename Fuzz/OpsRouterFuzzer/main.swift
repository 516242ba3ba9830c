import FuzzSupport
import GRPCCore
import KafkaLag
@testable import KafkaScaler
import LibrdkafkaClient
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ScalerRegistry

/// Bytes to the ops port: NIO's HTTP/1.1 parser, then each request it yields through
/// the request model and the router, every route open (so reload and the registry
/// listing run too).
let resolver = TriggerResolver(directory: AuthProfileDirectory(root: nil), allowedBrokers: [])
let routes = OpsRoutes(
    registry: ScalerRegistry(
        configuration: .defaults, readers: LibrdkafkaReaderFactory(configuration: .defaults, logger: quietLogger), resolver: resolver,
        clock: SystemRegistryClock(), logger: quietLogger
    ),
    health: ServiceCatalog(reflectionIndex: try ReflectionIndex.embedded()).health,
    metrics: { Array("# no metrics\n".utf8) },
    access: OpsAccess(adminTokenFile: nil, trustLoopback: true, openRegistry: true),
    logger: quietLogger
)

runFuzzer { data, size in
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
    defer { _ = try? channel.finish() }
    guard (try? channel.writeInbound(ByteBuffer(bytes: fuzzInput(data, size)))) != nil else { return 0 }
    while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
        guard case .head(let head) = part else { continue }
        var request = OpsRequest(head: head, peer: nil)
        request.fromLoopback = true
        let routed = request
        _ = waitFor { await routes.respond(to: routed).status }
    }
    return 0
}
