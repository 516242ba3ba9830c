import CNghttp2
import NIOCore
import NIOPosix

/// An HTTP/2 client for tests: a real nghttp2 client session over a real TCP connection,
/// so the server is exercised by an independent HTTP/2 implementation. Confined to the
/// test's task.
final class H2TestClient {
    struct Stream {
        var headers: [(String, String)] = []
        var trailers: [(String, String)] = []
        var data: [UInt8] = []
        var dataFrames = 0
        var endStreamReceived = false
        var closed = false
        var closeErrorCode: UInt32?
        /// The error code of a RST_STREAM the server sent.
        var resetByServer: UInt32?
        var outbound: [UInt8] = []
        var outboundEnd = false
        var deferred = false

        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
        func trailer(_ name: String) -> String? { trailers.first { $0.0 == name }?.1 }
        /// grpc-status from trailers, or from a Trailers-Only HEADERS block.
        var grpcStatus: String? { trailer("grpc-status") ?? header("grpc-status") }
    }

    private(set) var streams: [Int32: Stream] = [:]
    /// The last-stream-id of every GOAWAY received, in order.
    private(set) var goAways: [Int32] = []
    private(set) var isConnectionClosed = false
    private var session: OpaquePointer?
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        nghttp2_submit_settings(session, 0, nil, 0)
    }

    deinit { nghttp2_session_del(session) }

    /// Connects to 127.0.0.1:`port` and runs `body` with a client.
    static func withConnection<T>(port: Int, _ body: (H2TestClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let client = H2TestClient(inbound: inbound, outbound: outbound)
            return try await body(client)
        }
    }

    /// Starts a request; `body` is sent as DATA, with END_STREAM only if `endStream`.
    @discardableResult
    func request(
        path: String,
        method: String = "POST",
        headers extra: [(String, String)] = [],
        body: [UInt8]? = [],
        endStream: Bool = true,
        contentType: String = "application/grpc"
    ) -> Int32 {
        let headers =
            [
                (":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
                ("content-type", contentType), ("te", "trailers"),
            ] + extra
        let storage = headers.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        var nva: [nghttp2_nv] = []
        var pinned: [UnsafeMutablePointer<UInt8>] = []
        for (name, value) in storage {
            let namePointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(name.count, 1))
            namePointer.initialize(from: name, count: name.count)
            let valuePointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(value.count, 1))
            valuePointer.initialize(from: value, count: value.count)
            pinned += [namePointer, valuePointer]
            nva.append(nghttp2_nv(name: namePointer, value: valuePointer, namelen: name.count, valuelen: value.count, flags: 0))
        }
        defer { pinned.forEach { $0.deallocate() } }
        var stream = Stream()
        let id: Int32
        if let body {
            stream.outbound = body
            stream.outboundEnd = endStream
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            id = nghttp2_submit_request(session, nil, nva, nva.count, &provider, nil)
        } else {
            id = nghttp2_submit_request(session, nil, nva, nva.count, nil, nil)
        }
        streams[id] = stream
        return id
    }

    /// Sends more request bytes on a stream, optionally half-closing it.
    func send(_ bytes: [UInt8], on id: Int32, endStream: Bool = false) {
        streams[id]?.outbound += bytes
        streams[id]?.outboundEnd = endStream
        if streams[id]?.deferred == true {
            streams[id]?.deferred = false
            nghttp2_session_resume_data(session, id)
        }
    }

    /// Resets a stream (8 = CANCEL).
    func reset(_ id: Int32, errorCode: UInt32 = 8) {
        nghttp2_submit_rst_stream(session, 0, id, errorCode)
    }

    func stream(_ id: Int32) -> Stream { streams[id] ?? Stream() }

    /// Exchanges bytes with the server until `condition` holds (or the connection closes).
    func run(until condition: (H2TestClient) -> Bool) async throws {
        try await flush()
        while !condition(self) {
            guard let buffer = try await inbound.next() else {
                isConnectionClosed = true
                return
            }
            let consumed = buffer.withUnsafeReadableBytes { bytes in
                nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
            }
            precondition(consumed >= 0, "client session failed: \(consumed)")
            try await flush()
        }
    }

    private func flush() async throws {
        var buffer = ByteBuffer()
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            guard count > 0, let chunk else { break }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
        }
        if buffer.readableBytes > 0 { try await outbound.write(buffer) }
    }

    private static func client(_ userData: UnsafeMutableRawPointer?) -> H2TestClient {
        Unmanaged<H2TestClient>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let readBody: nghttp2_data_source_read_callback = { _, id, buffer, length, flags, _, userData in
        let client = H2TestClient.client(userData)
        guard var stream = client.streams[id] else { return ssize_t(NGHTTP2_ERR_DEFERRED.rawValue) }
        let count = min(length, stream.outbound.count)
        stream.outbound.withUnsafeBytes { bytes in
            if count > 0 { buffer!.update(from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: count) }
        }
        stream.outbound.removeFirst(count)
        defer { client.streams[id] = stream }
        if stream.outbound.isEmpty {
            if stream.outboundEnd {
                flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            } else if count == 0 {
                stream.deferred = true
                return ssize_t(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return count
    }

    private static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            let client = H2TestClient.client(userData)
            let id = frame!.pointee.hd.stream_id
            let field = (
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            )
            if frame!.pointee.headers.cat == NGHTTP2_HCAT_HEADERS {
                client.streams[id]?.trailers.append(field)
            } else {
                client.streams[id]?.headers.append(field)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, userData in
            H2TestClient.client(userData).streams[id]?.data += UnsafeBufferPointer(start: data, count: length)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            let client = H2TestClient.client(userData)
            let header = frame!.pointee.hd
            if UInt32(header.type) == NGHTTP2_GOAWAY.rawValue {
                client.goAways.append(frame!.pointee.goaway.last_stream_id)
            }
            if UInt32(header.type) == NGHTTP2_RST_STREAM.rawValue {
                client.streams[header.stream_id]?.resetByServer = frame!.pointee.rst_stream.error_code
            }
            if UInt32(header.type) == NGHTTP2_DATA.rawValue {
                client.streams[header.stream_id]?.dataFrames += 1
            }
            if UInt32(header.flags) & NGHTTP2_FLAG_END_STREAM.rawValue != 0 {
                client.streams[header.stream_id]?.endStreamReceived = true
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, errorCode, userData in
            let client = H2TestClient.client(userData)
            client.streams[id]?.closed = true
            client.streams[id]?.closeErrorCode = errorCode
            return 0
        }
    }
}
