import FuzzSupport
import Glibc
import GRPCCore
import GRPCServerNIO
import KafkaLag
import KafkaScaler
import LibrdkafkaClient
import NIOCore
import ScalerRegistry
import ServiceLifecycle

/// Bytes from a hostile client into a server connection, through the same path as
/// any socket: the scaler's gRPC server (nghttp2 session, gRPC call layer, Health,
/// reflection and ExternalScaler) listens on loopback, and each input is written to a
/// new connection, which is then half-closed and read to its end. Every trigger names
/// brokers outside an empty allow-list, so no input makes the process dial anything.
let resolver = TriggerResolver(directory: AuthProfileDirectory(root: nil), allowedBrokers: [])
let registry = ScalerRegistry(
    configuration: .defaults, readers: LibrdkafkaReaderFactory(configuration: .defaults, logger: quietLogger), resolver: resolver,
    clock: SystemRegistryClock(), logger: quietLogger
)
var services = ServiceCatalog(reflectionIndex: try ReflectionIndex.embedded())
services.register(ExternalScalerService(registry: registry, resolver: resolver))
let server = GRPCServer(
    configuration: GRPCServerConfiguration(host: "127.0.0.1", port: 0, handshakeTimeout: .seconds(2)),
    services: services, logger: quietLogger
)
let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)], logger: quietLogger
    ))
Task.detached { try await group.run() }  // not on the main actor: libFuzzer blocks the main thread
let port: Int = {
    guard let port = waitFor({ (try? await server.listeningAddress.port) ?? nil }) else { fatalError("the gRPC server did not bind") }
    return port
}()

/// Writes `bytes` to a new connection, half-closes it and reads until the server closes.
func exchange(_ bytes: UnsafeRawBufferPointer) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { fatalError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { fatalError("connect: \(errno)") }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var offset = 0
    while offset < bytes.count {
        let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
        if sent <= 0 { break }
        offset += sent
    }
    shutdown(fd, Int32(SHUT_WR))
    var sink = [UInt8](repeating: 0, count: 65536)
    while recv(fd, &sink, sink.count, 0) > 0 {}
}

runFuzzer { data, size in
    exchange(fuzzInput(data, size))
    return 0
}
