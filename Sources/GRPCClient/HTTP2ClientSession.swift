import CNghttp2
import GRPCCore

/// One nghttp2 client session carrying unary gRPC calls: the only type of this module
/// that calls libnghttp2. It knows no sockets: its owner feeds received bytes with
/// ``receive(_:)`` and sends what ``takeOutput()`` returns, strictly outside nghttp2
/// callbacks (the callbacks only record state). Confined to one thread at a time.
final class HTTP2ClientSession {
    /// A session-level failure: the connection is unusable.
    struct SessionError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { String(cString: nghttp2_strerror(code)) }
    }

    /// A call whose stream closed, with its result.
    struct Completion {
        var streamID: Int32
        var result: Result<[UInt8], RPCError>
    }

    private struct Call {
        var state: UnaryCallState
        var body: [UInt8]
        var bodyOffset = 0
    }

    private var session: OpaquePointer?
    private var calls: [Int32: Call] = [:]
    private var completions: [Completion] = []
    private let maximumMessageLength: Int

    /// True once the server sent GOAWAY: no new call can start on this connection.
    private(set) var goAwayReceived = false

    /// Creates the client session and queues the connection preface and SETTINGS
    /// (no server push; the response size limit is enforced on the messages).
    init(maximumMessageLength: Int) {
        self.maximumMessageLength = maximumMessageLength
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        var settings = [nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0)]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// True while the session still has streams to finish or frames to send.
    var isActive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Starts a unary call: HEADERS for `POST path` with the gRPC headers, then the
    /// framed message with END_STREAM. Returns the stream id, or the reason it cannot start.
    func startCall(path: String, authority: String, timeout: Duration?, message: [UInt8]) -> Result<Int32, RPCError> {
        guard !goAwayReceived else {
            return .failure(RPCError(code: .unavailable, message: "the server is closing this connection (GOAWAY)"))
        }
        var headers = [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", authority),
            ("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "keda-kafka-scaler-cli"),
        ]
        if let timeout { headers.append(("grpc-timeout", GRPCTimeout.encode(timeout))) }
        let streamID = Self.withHeaderList(headers) { nva, count in
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        guard streamID > 0 else {
            let reason = String(cString: nghttp2_strerror(streamID))
            return .failure(RPCError(code: .unavailable, message: "cannot start a stream: \(reason)"))
        }
        calls[streamID] = Call(state: UnaryCallState(maximumMessageLength: maximumMessageLength), body: MessageFramer.frame(message))
        return .success(streamID)
    }

    /// Cancels a call (RST_STREAM CANCEL); its completion is not reported.
    func cancel(_ streamID: Int32) {
        guard calls.removeValue(forKey: streamID) != nil else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
    }

    /// Feeds bytes read from the connection.
    func receive(_ bytes: UnsafeRawBufferPointer) throws(SessionError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if consumed < 0 { throw SessionError(code: Int32(consumed)) }
    }

    /// The bytes nghttp2 wants to send now (empty when nothing is pending).
    func takeOutput() throws(SessionError) -> [UInt8] {
        var output: [UInt8] = []
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 { throw SessionError(code: Int32(count)) }
            guard count > 0, let chunk else { return output }
            output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: count))
        }
    }

    /// The calls that finished since the last time, in order.
    func takeCompletions() -> [Completion] {
        defer { completions.removeAll() }
        return completions
    }

    /// Queues a GOAWAY (NO_ERROR) so the server sees an orderly close.
    func terminate() {
        nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
    }

    // MARK: nghttp2 callbacks (record state only)

    private static func session(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientSession {
        Unmanaged<HTTP2ClientSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// Runs `body` with `headers` as an `nghttp2_nv` array over one C buffer.
    private static func withHeaderList<T>(_ headers: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> T) -> T {
        var bytes: [UInt8] = []
        var ranges: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in headers {
            let nameStart = bytes.count
            bytes += name.utf8
            let valueStart = bytes.count
            bytes += value.utf8
            ranges.append((nameStart..<valueStart, valueStart..<bytes.count))
        }
        return bytes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let fields = ranges.map { range in
                nghttp2_nv(
                    name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                    namelen: range.name.count, valuelen: range.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            }
            return fields.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    private static let readBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        let client = HTTP2ClientSession.session(userData)
        guard var call = client.calls[streamID], let buffer else {
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let count = min(length, call.body.count - call.bodyOffset)
        call.body.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + call.bodyOffset, byteCount: count)
        }
        call.bodyOffset += count
        if call.bodyOffset == call.body.count {
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            call.body = []
            call.bodyOffset = 0
        }
        client.calls[streamID] = call
        return count
    }

    private static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            let client = HTTP2ClientSession.session(userData)
            let streamID = frame!.pointee.hd.stream_id
            client.calls[streamID]?.state.receiveHeader(
                name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self),
                isTrailer: frame!.pointee.headers.cat == NGHTTP2_HCAT_HEADERS
            )
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            let client = HTTP2ClientSession.session(userData)
            guard client.calls[streamID] != nil else { return 0 }
            let accepted = client.calls[streamID]!.state.receiveData(UnsafeRawBufferPointer(start: data, count: length))
            // A failed call resets its stream (RST_STREAM INTERNAL_ERROR); its error is kept.
            return accepted ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            if UInt32(frame!.pointee.hd.type) == NGHTTP2_GOAWAY.rawValue {
                HTTP2ClientSession.session(userData).goAwayReceived = true
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let client = HTTP2ClientSession.session(userData)
            if let call = client.calls.removeValue(forKey: streamID) {
                client.completions.append(Completion(streamID: streamID, result: call.state.outcome(resetCode: errorCode)))
            }
            return 0
        }
    }
}
