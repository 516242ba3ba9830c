import CNghttp2
import NIOCore

/// What the session reports to its owner. Every method is called from inside an nghttp2
/// callback, so implementations only record state and queue work; they must never feed or
/// drain the session (nghttp2 #1244).
protocol HTTP2ServerSessionDelegate: AnyObject {
    /// A request HEADERS block started on a new stream.
    func sessionDidBeginStream(_ streamID: Int32)
    /// One request header field (the buffers are valid only during the call).
    func sessionDidReceiveHeader(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    /// The request HEADERS block is complete.
    func sessionDidReceiveHeaders(_ streamID: Int32, endStream: Bool)
    /// Request body bytes (valid only during the call).
    func sessionDidReceiveData(_ streamID: Int32, _ bytes: UnsafeRawBufferPointer)
    /// The client half-closed with a DATA frame (or trailers).
    func sessionDidReceiveEndOfStream(_ streamID: Int32)
    /// A frame ending our side of the stream went out.
    func sessionDidSendEndOfStream(_ streamID: Int32)
    /// The stream closed (error code 8 = the client cancelled).
    func sessionDidCloseStream(_ streamID: Int32, errorCode: UInt32)
    /// A SETTINGS or PING frame (not an ACK) arrived; false ends the session at once (the
    /// owner then sends its GOAWAY).
    func sessionShouldAccept(control: HTTP2ServerSession.ControlFrame) -> Bool
    /// nghttp2 wants response body bytes for a stream.
    func sessionRead(_ streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ServerSession.BodyRead
}

/// One nghttp2 server session: the only type that calls libnghttp2. It is confined to its
/// connection's event loop (an nghttp2 session is single-threaded) and is fed with
/// `mem_recv` and drained with `mem_send` strictly outside nghttp2 callbacks.
final class HTTP2ServerSession {
    /// The answer to a body read.
    enum BodyRead {
        /// Nothing to send now; `resume` will be called when there is.
        case deferred
        /// `count` bytes were copied.
        case data(count: Int)
        /// `count` bytes were copied and the body ends here with these trailers.
        case dataThenTrailers(count: Int, trailers: HeaderBlock)
        /// `count` bytes were copied and END_STREAM goes on this DATA frame (plain HTTP answers).
        case dataThenEnd(count: Int)
    }

    /// The control frames whose rate the owner judges.
    enum ControlFrame {
        case settings
        case ping
    }

    /// The session-level failures that end a connection.
    struct SessionError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { String(cString: nghttp2_strerror(code)) }
        /// True when the peer did not start with the HTTP/2 client preface.
        var isBadClientMagic: Bool { code == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue }
        /// True for a header block over too many CONTINUATION frames, which nghttp2 ends
        /// without a GOAWAY of its own.
        var isContinuationFlood: Bool { code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue }
    }

    private var session: OpaquePointer?
    private unowned let delegate: any HTTP2ServerSessionDelegate

    /// Creates the session and queues the server SETTINGS and the connection window update.
    /// Window updates are manual: the owner gives received bytes back with `consume`.
    init(delegate: any HTTP2ServerSessionDelegate, settings: GRPCServerConfiguration.HTTP2) {
        self.delegate = delegate
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_stream_reset_rate_limit(option, settings.streamResetBurst, settings.streamResetRate)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_max_settings(option, settings.maxSettingsEntries)
        nghttp2_option_set_max_outbound_ack(option, settings.maxOutboundControlFrames)
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: settings.initialWindowSize
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(settings.maxHeaderListSize)
            ),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindowSize)
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Feeds received bytes. A thrown error is fatal for the connection: drain (a GOAWAY may
    /// be queued), then close.
    func feed(_ buffer: ByteBuffer) throws(SessionError) {
        let result = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if result < 0 { throw SessionError(code: Int32(result)) }
    }

    /// Gives `count` received bytes of a stream back to its window (the stream may buffer
    /// up to its message limit; that limit, not the window, bounds it).
    func consumeStream(_ streamID: Int32, _ count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume_stream(session, streamID, count)
    }

    /// Gives `count` bytes back to the connection window, once the requests holding them
    /// were dispatched or dropped.
    func consumeConnection(_ count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume_connection(session, count)
    }

    /// Appends everything nghttp2 wants to send to `buffer`; false on a fatal session error.
    func drain(into buffer: inout ByteBuffer) -> Bool {
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 { return false }
            guard count > 0, let chunk else { return true }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
        }
    }

    /// True while nghttp2 still expects input or has output (false only after GOAWAY once
    /// every stream finished): the connection may close when both are false.
    var isActive: Bool { nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0 }

    /// Sends response HEADERS; with `body`, a data provider reading through the delegate
    /// follows, without it the HEADERS frame carries END_STREAM (Trailers-Only).
    func submitResponse(_ streamID: Int32, headers: HeaderBlock, body: Bool) {
        if body {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            nghttp2_submit_response(session, streamID, headers.nva, headers.count, &provider)
        } else {
            nghttp2_submit_response(session, streamID, headers.nva, headers.count, nil)
        }
    }

    /// Wakes a deferred body read.
    func resume(_ streamID: Int32) {
        nghttp2_session_resume_data(session, streamID)
    }

    /// Resets a stream (`NO_ERROR` after early trailers, `CANCEL` for a broken call).
    func reset(_ streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// True once the client half-closed the stream (or it is gone).
    func isRemoteClosed(_ streamID: Int32) -> Bool {
        nghttp2_session_get_stream_remote_close(session, streamID) != 0
    }

    /// The first GOAWAY of a graceful shutdown (last stream id 2^31-1): "stop opening streams".
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    /// The second GOAWAY: streams above the last processed one are refused. `debug` says
    /// why to the client (e.g. gRPC's `too_many_pings`).
    func submitFinalGoAway(errorCode: UInt32 = NGHTTP2_NO_ERROR.rawValue, debug: String = "") {
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
        var bytes = Array(debug.utf8)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, errorCode, &bytes, bytes.count)
    }

    // MARK: - Callbacks (each recovers the session from user_data and only records state)

    private static func session(_ userData: UnsafeMutableRawPointer?) -> HTTP2ServerSession {
        Unmanaged<HTTP2ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let readBody: nghttp2_data_source_read_callback = {
        session, streamID, buffer, length, flags, _, userData in
        let owner = HTTP2ServerSession.session(userData)
        switch owner.delegate.sessionRead(streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length)) {
        case .deferred:
            return ssize_t(NGHTTP2_ERR_DEFERRED.rawValue)
        case .data(let count):
            return count
        case .dataThenTrailers(let count, let trailers):
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            nghttp2_submit_trailer(session, streamID, trailers.nva, trailers.count)
            return count
        case .dataThenEnd(let count):
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return count
        }
    }

    private static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
                frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
            else { return 0 }
            HTTP2ServerSession.session(userData).delegate.sessionDidBeginStream(frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
            HTTP2ServerSession.session(userData).delegate.sessionDidReceiveHeader(
                frame.pointee.hd.stream_id,
                name: UnsafeRawBufferPointer(start: name, count: nameLength),
                value: UnsafeRawBufferPointer(start: value, count: valueLength)
            )
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let header = frame.pointee.hd
            let endStream = UInt32(header.flags) & NGHTTP2_FLAG_END_STREAM.rawValue != 0
            let delegate = HTTP2ServerSession.session(userData).delegate
            switch UInt32(header.type) {
            case NGHTTP2_HEADERS.rawValue:
                if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                    delegate.sessionDidReceiveHeaders(header.stream_id, endStream: endStream)
                } else if endStream {
                    delegate.sessionDidReceiveEndOfStream(header.stream_id)
                }
            case NGHTTP2_DATA.rawValue:
                if endStream { delegate.sessionDidReceiveEndOfStream(header.stream_id) }
            case NGHTTP2_SETTINGS.rawValue where UInt32(header.flags) & NGHTTP2_FLAG_ACK.rawValue == 0:
                if !delegate.sessionShouldAccept(control: .settings) { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
            case NGHTTP2_PING.rawValue where UInt32(header.flags) & NGHTTP2_FLAG_ACK.rawValue == 0:
                if !delegate.sessionShouldAccept(control: .ping) { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            HTTP2ServerSession.session(userData).delegate.sessionDidReceiveData(
                streamID,
                UnsafeRawBufferPointer(start: data, count: length)
            )
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let header = frame.pointee.hd
            let type = UInt32(header.type)
            if type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue,
                UInt32(header.flags) & NGHTTP2_FLAG_END_STREAM.rawValue != 0
            {
                HTTP2ServerSession.session(userData).delegate.sessionDidSendEndOfStream(header.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            HTTP2ServerSession.session(userData).delegate.sessionDidCloseStream(streamID, errorCode: errorCode)
            return 0
        }
    }
}
