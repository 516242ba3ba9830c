import NIOCore
public import NIOHTTP1
import NIOPosix
public import NIOSSL
import Synchronization

/// A minimal HTTP/1.1 client: one request per connection, bounded by a timeout from
/// connect to the last body byte. For the ops port (`registry list|reload`) and OAuth
/// token endpoints, which need one small exchange each and nothing of a full client.
public enum HTTP1Client {
    /// An answer: status code and body.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Why there is no answer.
    public struct Failure: Error, CustomStringConvertible {
        /// The kind of failure.
        public struct Code: Hashable, Sendable {
            private enum Value: Hashable, Sendable { case unreachable, timedOut, truncated }
            private let value: Value
            private init(_ value: Value) { self.value = value }

            /// No connection could be made.
            public static let unreachable = Code(.unreachable)
            /// No complete answer within the timeout.
            public static let timedOut = Code(.timedOut)
            /// The connection ended before the response did (or outgrew the limit).
            public static let truncated = Code(.truncated)
        }

        public var code: Code
        public var description: String

        init(_ code: Code, _ description: String) {
            self.code = code
            self.description = description
        }
    }

    /// Sends one request and returns the response. With `tls`, the connection is TLS
    /// to `host` (its name checked against the certificate). A response body above
    /// `maxResponseBytes` ends the exchange as `truncated`.
    public static func send(
        _ method: HTTPMethod, _ path: String, host: String, port: Int, headers extra: [(String, String)] = [],
        body: [UInt8] = [], tls: NIOSSLContext? = nil, timeout: Duration, maxResponseBytes: Int = 1 << 20
    ) async throws(Failure) -> Response {
        let address = "\(host):\(port)"
        let timedOut = Atomic(false)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            let underlying = channel.channel
            let deadline = underlying.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                timedOut.store(true, ordering: .relaxed)
                underlying.close(promise: nil)
            }
            defer { deadline.cancel() }
            return try await channel.executeThenClose { inbound, outbound in
                var headers = HTTPHeaders([
                    ("Host", hostHeader(host: host, port: port, secure: tls != nil)), ("User-Agent", "keda-kafka-scaler"),
                    ("Content-Length", "\(body.count)"),
                ])
                headers.add(contentsOf: extra)
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
                if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                var received: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let head): status = head.status
                    case .body(let buffer):
                        guard received.count + buffer.readableBytes <= maxResponseBytes else {
                            throw Failure(.truncated, "response from \(address) is larger than \(maxResponseBytes) bytes")
                        }
                        received += buffer.readableBytesView
                    case .end:
                        guard let status else { throw Failure(.truncated, "response ended before its status line") }
                        return Response(status: status, body: received)
                    }
                }
                throw Failure(.truncated, "connection closed before the response was complete")
            }
        } catch {
            // A connect that outlives the timeout is the same silence as an unanswered request
            // (a loaded machine can take that long to complete even a loopback handshake).
            if timedOut.load(ordering: .relaxed) || Self.isConnectTimeout(error) {
                throw Failure(.timedOut, "no answer from \(address) within \(timeout)")
            }
            if let failure = error as? Failure { throw failure }
            throw Failure(.unreachable, "cannot reach \(address): \(error)")
        }
    }

    private static func isConnectTimeout(_ error: any Error) -> Bool {
        if case .connectTimeout = error as? ChannelError { return true }
        return false
    }
}
