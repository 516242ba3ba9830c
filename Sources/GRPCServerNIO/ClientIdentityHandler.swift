import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Closes an mTLS connection whose client certificate names none of the allowed clients
/// (`--allowed-client-names`): the CA says who the client is, this decides whether that
/// client may drive the scaler. Checked once, when the handshake completes; then removed.
final class ClientIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let allowed: [String]
    private let logger: Logger

    init(allowed: [String], logger: Logger) {
        self.allowed = allowed
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? TLSUserEvent, case .handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).peerCertificate
        let der = try? certificate?.toDERBytes()
        guard let der, ClientCertificateNames.matches(der: der, allowed: allowed) else {
            logger.warning(
                "client certificate names none of --allowed-client-names: connection closed",
                metadata: [
                    "grpc.peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "unknown")"
                ])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
