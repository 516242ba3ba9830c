import GRPCTestSupport
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

@testable import GRPCServerNIO

/// The server's TLS pipeline against a swift-nio-ssl client: ALPN, certificate rotation for
/// new connections, and the handshake timeout.
@Suite(.timeLimit(.minutes(1)))
struct TLSServerTests {
    /// Reports the handshake's negotiated protocol, or the error that ended it.
    private final class HandshakeObserver: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let result: EventLoopPromise<String?>

        init(result: EventLoopPromise<String?>) { self.result = result }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
                result.succeed(negotiated)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            result.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            result.fail(ChannelError.eof)
            context.fireChannelInactive()
        }
    }

    /// A TLS server on `server1`'s certificate (files re-read only by `checkFiles()`).
    private static func withTLSServer(
        handshakeTimeout: Duration = .seconds(10),
        _ body: (_ port: Int, _ reloader: TLSContextReloader, _ directory: TLSTestDirectory) async throws -> Void
    ) async throws {
        let directory = try TLSTestDirectory()
        defer { directory.remove() }
        try directory.install("server1")
        let reloader = try TLSContextReloader(files: directory.files(), checkInterval: .seconds(60), logger: Logger(label: "test.tls"))
        try await withTestGRPCServer(shutdownGrace: .seconds(3), tls: reloader, handshakeTimeout: handshakeTimeout) { port, _, _, _ in
            try await body(port, reloader, directory)
        }
    }

    /// A TLS connection trusting the test CA: the channel and the negotiated protocol.
    private static func connect(port: Int, directory: TLSTestDirectory, alpn: [String] = ["h2"]) async throws -> (any Channel, String?) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(directory.path("ca.crt")))
        configuration.applicationProtocols = alpn
        let context = try NIOSSLContext(configuration: configuration)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let result = eventLoop.makePromise(of: String?.self)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(HandshakeObserver(result: result))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return (channel, try await result.futureResult.get())
    }

    private static func peerSerial(_ channel: any Channel) async throws -> [UInt8]? {
        try await channel.nioSSL_peerCertificate().get()?.serialNumber
    }

    @Test func negotiatesH2AndOutlivesTheHandshakeTimeoutOnceThePrefaceArrived() async throws {
        try await Self.withTLSServer(handshakeTimeout: .milliseconds(200)) { port, _, directory in
            let (channel, negotiated) = try await Self.connect(port: port, directory: directory)
            #expect(negotiated == "h2")
            #expect(try await Self.peerSerial(channel) == [0x10, 0x01])
            let emptySettings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
            try await channel.writeAndFlush(ByteBuffer(bytes: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + emptySettings))
            try await Task.sleep(for: .milliseconds(500))
            #expect(channel.isActive, "an established connection was closed by the handshake timer")
            try await channel.close()
        }
    }

    @Test func aClientOfferingNoH2GetsNoProtocol() async throws {
        try await Self.withTLSServer { port, _, directory in
            let (channel, negotiated) = try await Self.connect(port: port, directory: directory, alpn: ["http/1.1"])
            #expect(negotiated == nil)
            try await channel.close()
        }
    }

    @Test func newConnectionsGetTheRotatedCertificateAndOpenOnesKeepTheirs() async throws {
        try await Self.withTLSServer { port, reloader, directory in
            let (before, _) = try await Self.connect(port: port, directory: directory)
            try directory.install("server2")
            #expect(reloader.checkFiles())
            let (after, _) = try await Self.connect(port: port, directory: directory)
            #expect(try await Self.peerSerial(after) == [0x20, 0x02])
            #expect(try await Self.peerSerial(before) == [0x10, 0x01])
            #expect(before.isActive)
            try await before.close()
            try await after.close()
        }
    }

    @Test func aSilentClientIsClosedAfterTheHandshakeTimeout() async throws {
        try await Self.withTLSServer(handshakeTimeout: .milliseconds(200)) { port, _, _ in
            let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port)
                .get()
            let started = ContinuousClock.now
            try await silent.closeFuture.get()
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }
}
