import NIOCore
import NIOHTTP1
import TimeUnits

/// Reads one HTTP/1.1 request at a time, within ``OpsLimits``, and answers it from
/// ``OpsRoutes`` off the event loop (a reload may open Kafka connections). NIO's
/// pipelining handler in front holds further requests until the response is written.
final class OpsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: OpsRoutes
    private let limits: OpsLimits
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    /// Closes the connection if the client has not sent a whole request in time.
    private var deadline: Scheduled<Void>?

    init(routes: OpsRoutes, limits: OpsLimits) {
        self.routes = routes
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armDeadline(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armDeadline(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarmDeadline()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard head.uri.utf8.count <= limits.maxURIBytes else {
                return refuse(context, .uriTooLong, "request target longer than \(limits.maxURIBytes) bytes", version: head.version)
            }
            self.head = head
            bodyBytes = 0
        case .body(let chunk):
            guard let head else { return }
            bodyBytes += chunk.readableBytes
            if bodyBytes > limits.maxBodyBytes {
                refuse(context, .payloadTooLarge, "request body larger than \(limits.maxBodyBytes) bytes", version: head.version)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            disarmDeadline()
            let request = OpsRequest(head: head, peer: context.remoteAddress)
            let routes = routes
            let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let respond = context.eventLoop.makeFutureWithTask { await routes.respond(to: request) }
            respond.whenSuccess { response in
                let (handler, context) = loop.value
                handler.write(response, for: head, context: context)
            }
        }
    }

    /// A request NIO's parser refused (its error handler in front answered 400): nothing
    /// more is read from this client.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func write(_ response: OpsResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let written = send(response, version: head.version, keepAlive: head.isKeepAlive, context: context)
        if head.isKeepAlive {
            armDeadline(context)
        } else {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Answers a request over a limit and closes the connection: the rest of the
    /// request is not read.
    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ reason: String, version: HTTPVersion) {
        head = nil
        disarmDeadline()
        _ = send(.text(status, reason), version: version, keepAlive: false, context: context)
        context.close(promise: nil)
    }

    /// Writes a whole response; `connection: close` unless the connection is kept alive.
    private func send(_ response: OpsResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var headers = HTTPHeaders([("content-type", response.contentType), ("content-length", "\(response.body.count)")])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }

    private func armDeadline(_ context: ChannelHandlerContext) {
        disarmDeadline()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(limits.requestTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
    }

    private func disarmDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}
