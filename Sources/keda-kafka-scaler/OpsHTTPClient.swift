import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A minimal HTTP/1.1 client for the scaler's ops port (`registry list|reload`): one
/// request per connection, bounded by a timeout from connect to the last body byte.
enum OpsHTTPClient {
    /// An answer: status code and body.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Why there is no answer.
    struct Failure: Error, CustomStringConvertible {
        /// The kind of failure.
        struct Code: Hashable, Sendable {
            private enum Value: Hashable, Sendable { case unreachable, timedOut, truncated }
            private let value: Value
            private init(_ value: Value) { self.value = value }

            /// No connection could be made.
            static let unreachable = Code(.unreachable)
            /// No complete answer within the timeout.
            static let timedOut = Code(.timedOut)
            /// The connection ended before the response did.
            static let truncated = Code(.truncated)
        }

        var code: Code
        var description: String

        init(_ code: Code, _ description: String) {
            self.code = code
            self.description = description
        }
    }

    /// Sends `method path` with an empty body and returns the response.
    static func send(
        _ method: HTTPMethod, _ path: String, to address: HostAndPort, authorization: String? = nil, timeout: Duration
    ) async throws(Failure) -> Response {
        let timedOut = Atomic(false)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
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
                var headers = HTTPHeaders([("Host", "\(address)"), ("User-Agent", "keda-kafka-scaler-cli"), ("Content-Length", "0")])
                if let authorization { headers.add(name: "Authorization", value: authorization) }
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let head): status = head.status
                    case .body(let buffer): body += buffer.readableBytesView
                    case .end:
                        guard let status else { throw Failure(.truncated, "response ended before its status line") }
                        return Response(status: status, body: body)
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
            throw Failure(.unreachable, "cannot reach the ops port at \(address): \(error)")
        }
    }

    private static func isConnectTimeout(_ error: any Error) -> Bool {
        if case .connectTimeout = error as? ChannelError { return true }
        return false
    }
}
