"""gRPC-over-HTTP/2 conformance (grpc-h2.md §1) with hand-made frames.

Each case asserts the exact answer (grpc-status, HTTP status or RST_STREAM code) and then
that the same connection, or a new one when the case kills the connection, still answers
Check with SERVING.
"""
import base64

import h2.errors
import h2.settings
import pytest
from hyperframe.frame import HeadersFrame, RstStreamFrame

import grpc_wire
from grpc_wire import frame, health_request, health_response
from h2_client import H2Conn, assert_ok_response, assert_trailers_only
from raw_frames import PREFACE, FrameConn, is_goaway

CHECK_BODY = frame(health_request(""))
SERVING_REPLY = [health_response(grpc_wire.SERVING)]
PROTOCOL_ERROR = int(h2.errors.ErrorCodes.PROTOCOL_ERROR)
NO_ERROR = int(h2.errors.ErrorCodes.NO_ERROR)


@pytest.fixture
def conn(server):
    with H2Conn(server.host, server.port) as connection:
        connection.wait_settings()
        yield connection


def assert_new_connection_serving(server):
    with H2Conn(server.host, server.port) as fresh:
        fresh.assert_serving()


# -- H1 / H3: non-gRPC requests get a real HTTP answer -----------------------------------

@pytest.mark.parametrize("body,overrides,status", [
    (None, {"method": "GET"}, 405),
    (CHECK_BODY, {"method": "PUT"}, 405),
    (CHECK_BODY, {"content_type": "application/json"}, 415),
    (CHECK_BODY, {"content_type": "text/plain"}, 415),
    (CHECK_BODY, {"content_type": "application/grpc-web"}, 415),
], ids=["GET->405", "PUT->405", "application/json->415", "text/plain->415", "application/grpc-web->415"])
def test_non_grpc_request_gets_http_error_with_body(conn, body, overrides, status):
    result = conn.call(body=body, **overrides)
    assert result.http_status == status, result.describe()
    assert result.ended and result.reset_code in (None, NO_ERROR), result.describe()
    assert len(result.data) > 0, f"{status} without a body: " + result.describe()
    assert result.grpc_status is None
    conn.assert_serving()


@pytest.mark.parametrize("content_type", ["application/grpc+proto", "application/grpc;charset=utf-8", None])
def test_grpc_content_types_are_served(conn, content_type):
    result = conn.call(body=CHECK_BODY, content_type=content_type)
    assert_ok_response(result, SERVING_REPLY)
    conn.assert_serving()


def test_content_subtype_json_is_internal(conn):
    """A gRPC content-subtype we have no codec for (grpc-h2.md H3): INTERNAL."""
    result = conn.call(body=CHECK_BODY, content_type="application/grpc+json")
    assert_trailers_only(result, grpc_wire.INTERNAL)
    conn.assert_serving()


# -- H4 / H5 / H9: te, :authority, user-agent -------------------------------------------

def test_te_missing_is_served(conn):
    assert_ok_response(conn.call(body=CHECK_BODY, te=None), SERVING_REPLY)
    conn.assert_serving()


def test_te_gzip_is_reset_protocol_error(conn):
    result = conn.call(body=CHECK_BODY, te="gzip")
    assert result.reset_code == PROTOCOL_ERROR, result.describe()
    assert result.headers is None, result.describe()
    conn.assert_serving()


def test_authority_missing_is_reset(conn):
    result = conn.call(body=CHECK_BODY, authority=None)
    assert result.reset_code == PROTOCOL_ERROR, result.describe()
    conn.assert_serving()


def test_user_agent_missing_and_unknown_grpc_header_are_served(conn):
    result = conn.call(body=CHECK_BODY, user_agent=None, extra=[("grpc-kks-unknown", "1")])
    assert_ok_response(result, SERVING_REPLY)
    conn.assert_serving()


def test_matching_content_length_is_served(conn):
    assert_ok_response(conn.call(body=CHECK_BODY, extra=[("content-length", str(len(CHECK_BODY)))]), SERVING_REPLY)
    conn.assert_serving()


def test_content_length_mismatch_is_reset_protocol_error(conn):
    """nghttp2's HTTP messaging checks the body against content-length before the app sees it."""
    result = conn.call(body=CHECK_BODY, extra=[("content-length", "99")])
    assert result.reset_code == PROTOCOL_ERROR and result.headers is None, result.describe()
    conn.assert_serving()


# -- H2: paths --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/no.such.Service/Check",
    "/grpc.health.v1.Health/NoSuch",
    "/grpc.health.v1.Health",
    "/grpc.health.v1.health/Check",
    "/externalscaler.ExternalScaler/NoSuch",
    "/",
])
def test_unknown_path_is_unimplemented_at_headers_time(conn, path):
    """Trailers-Only 12 as soon as HEADERS arrive, without waiting for a body or END_STREAM."""
    stream = conn.open(path)
    result = conn.wait(stream, timeout=2)
    assert_trailers_only(result, grpc_wire.UNIMPLEMENTED)
    conn.pump_until(lambda: result.reset_code is not None, timeout=2, what="RST_STREAM after early trailers")
    assert result.reset_code == NO_ERROR, result.describe()
    conn.assert_serving()


# -- F1..F8: message framing ------------------------------------------------------------

@pytest.mark.parametrize("name,body,code", [
    ("malformed protobuf", frame(b"\x0a\x05ab"), grpc_wire.INTERNAL),
    ("wire-type mismatch on field 1", frame(b"\x08\x01"), grpc_wire.INTERNAL),
    ("compressed flag without grpc-encoding", frame(b"\x0a\x00", compressed=True), grpc_wire.INTERNAL),
    ("truncated message at END_STREAM", frame(b"\x0a\x03abc")[:-2], grpc_wire.INTERNAL),
    ("truncated prefix at END_STREAM", b"\x00\x00\x00", grpc_wire.INTERNAL),
    ("two messages on unary", CHECK_BODY + CHECK_BODY, grpc_wire.UNIMPLEMENTED),
], ids=lambda value: value if isinstance(value, str) else None)
def test_bad_request_body(conn, name, body, code):
    assert_trailers_only(conn.call(body=body), code)
    conn.assert_serving()


def test_compressed_flag_with_identity_encoding_is_internal(conn):
    result = conn.call(body=frame(b"\x0a\x00", compressed=True), grpc_encoding="identity")
    assert_trailers_only(result, grpc_wire.INTERNAL)
    conn.assert_serving()


@pytest.mark.parametrize("path", [grpc_wire.HEALTH_CHECK, grpc_wire.HEALTH_WATCH])
def test_zero_messages_is_unimplemented(conn, path):
    """Unary and server-streaming calls need exactly one request message."""
    assert_trailers_only(conn.call(path, body=None), grpc_wire.UNIMPLEMENTED)
    conn.assert_serving()


def test_two_messages_on_server_streaming_is_unimplemented(conn):
    assert_trailers_only(conn.call(grpc_wire.HEALTH_WATCH, body=CHECK_BODY + CHECK_BODY), grpc_wire.UNIMPLEMENTED)
    conn.assert_serving()


def test_unknown_grpc_encoding_is_unimplemented_with_accept_encoding(conn):
    result = conn.call(body=frame(b"\x00\x01", compressed=True), grpc_encoding="x-kks-unknown")
    assert_trailers_only(result, grpc_wire.UNIMPLEMENTED)
    accepted = [token.strip() for token in (result.header("grpc-accept-encoding") or "").split(",")]
    assert "identity" in accepted, result.describe()
    conn.assert_serving()


def test_identity_encoding_is_served(conn):
    assert_ok_response(conn.call(body=CHECK_BODY, grpc_encoding="identity"), SERVING_REPLY)
    conn.assert_serving()


def test_message_split_across_two_byte_data_frames(conn):
    body = frame(health_request("grpc.health.v1.Health"))
    assert_ok_response(conn.call(body=body, chunk=2), SERVING_REPLY)
    conn.assert_serving()


def test_end_stream_on_empty_data_frame(conn):
    stream = conn.open(grpc_wire.HEALTH_CHECK)
    conn.send(stream, CHECK_BODY, end_stream=False)
    conn.send(stream, b"", end_stream=True)
    assert_ok_response(conn.wait(stream), SERVING_REPLY)
    conn.assert_serving()


# -- F7: the 4 MiB receive limit ----------------------------------------------------------

def test_declared_5mib_is_resource_exhausted_then_rst_no_error(conn):
    stream = conn.open(grpc_wire.HEALTH_CHECK)
    conn.send(stream, b"\x00" + (5 * 1024 * 1024).to_bytes(4, "big"), end_stream=False)
    result = conn.wait(stream, timeout=3)
    assert_trailers_only(result, grpc_wire.RESOURCE_EXHAUSTED)
    conn.pump_until(lambda: result.reset_code is not None, timeout=2, what="RST_STREAM(NO_ERROR)")
    assert result.reset_code == NO_ERROR, result.describe()
    conn.assert_serving()


def test_real_5mib_body_is_resource_exhausted(conn):
    payload = b"\x0a\x80\x80\x40" + b"a" * (5 * 1024 * 1024 - 4)
    result = conn.call(body=frame(payload), timeout=15)
    assert_trailers_only(result, grpc_wire.RESOURCE_EXHAUSTED)
    conn.assert_serving()


def test_just_under_4mib_is_parsed(conn):
    """A 4 MiB - 1 KiB message to a method without a smaller limit (reflection) is accepted
    and parsed: it asks for an unknown file, answered in a message, then OK."""
    request = grpc_wire.length_delimited(3, b"x" * (grpc_wire.MAX_RECEIVE - 1024))  # file_by_filename
    result = conn.call(path=grpc_wire.REFLECTION_V1, body=frame(request), timeout=15)
    assert result.grpc_status == grpc_wire.OK, result.describe()
    assert len(result.messages) == 1, result.describe()
    conn.assert_serving()


def test_health_takes_requests_up_to_64kib(conn):
    """Health and ExternalScaler requests are small: 64 KiB at most (issue 13)."""
    fits = conn.call(body=frame(health_request("x" * (64 * 1024 - 16))), timeout=15)
    assert_trailers_only(fits, grpc_wire.NOT_FOUND)
    over = conn.call(body=frame(health_request("x" * (64 * 1024 + 16))), timeout=15)
    assert_trailers_only(over, grpc_wire.RESOURCE_EXHAUSTED)
    conn.assert_serving()


# -- H6: grpc-timeout -------------------------------------------------------------------

@pytest.mark.parametrize("timeout", ["1H", "2M", "30S", "1500m", "999390u", "5000000000n", "99999999m", "123456789m"])
def test_valid_grpc_timeout_is_served(conn, timeout):
    assert_ok_response(conn.call(body=CHECK_BODY, grpc_timeout=timeout), SERVING_REPLY)
    conn.assert_serving()


@pytest.mark.parametrize("timeout", ["abc", "10x", "-5m", "m", ""])
def test_malformed_grpc_timeout_is_internal(conn, timeout):
    assert_trailers_only(conn.call(body=CHECK_BODY, grpc_timeout=timeout), grpc_wire.INTERNAL)
    conn.assert_serving()


def test_zero_grpc_timeout_is_deadline_exceeded(conn):
    assert_trailers_only(conn.call(body=CHECK_BODY, grpc_timeout="0m"), grpc_wire.DEADLINE_EXCEEDED)
    conn.assert_serving()


# -- H10: metadata and header size --------------------------------------------------------

def test_10kib_header_is_served(conn):
    result = conn.call(body=CHECK_BODY, extra=[("x-kks-big", "a" * 10 * 1024)])
    assert_ok_response(result, SERVING_REPLY)
    conn.assert_serving()


@pytest.mark.parametrize("size", [20 * 1024, 16 * 1024])
def test_header_list_over_16kib_is_resource_exhausted(conn, size):
    """nghttp2 does not enforce MAX_HEADER_LIST_SIZE; the server counts and answers 8 itself."""
    result = conn.call(body=CHECK_BODY, extra=[("x-kks-big", "a" * size)])
    assert_trailers_only(result, grpc_wire.RESOURCE_EXHAUSTED)
    assert "16384" in (result.grpc_message or ""), result.describe()
    conn.assert_serving()


@pytest.mark.parametrize("value", [
    base64.b64encode(b"\x00\x01\xfe\xff binary").decode(),
    base64.b64encode(b"\x00\x01\xfe\xff binary").decode().rstrip("="),
])
def test_binary_metadata_is_served(conn, value):
    result = conn.call(body=CHECK_BODY, extra=[("x-kks-trace-bin", value)])
    assert_ok_response(result, SERVING_REPLY)
    conn.assert_serving()


# -- R3: grpc-message percent-encoding -------------------------------------------------------

def test_grpc_message_percent_encoding_round_trip(conn):
    """An unsupported grpc-encoding with '%', non-ASCII and a tab is echoed in grpc-message."""
    encoding = "x 100% \u00fcn\u00efcode\tz"
    result = conn.call(body=CHECK_BODY, grpc_encoding=encoding.encode("utf-8"))
    assert_trailers_only(result, grpc_wire.UNIMPLEMENTED)
    raw = result.trailer("grpc-message")
    assert raw is not None, result.describe()
    assert all(0x20 <= ord(ch) <= 0x7E for ch in raw), f"grpc-message is not percent-encoded: {raw!r}"
    assert "%25" in raw and "%C3%BC" in raw and "%09" in raw, raw
    assert encoding in result.grpc_message, (encoding, result.grpc_message)
    conn.assert_serving()


# -- D2: cancellation -----------------------------------------------------------------------------

def test_rst_cancel_before_request_body_then_new_call(conn):
    stream = conn.open(grpc_wire.HEALTH_CHECK)
    conn.reset(stream)
    conn.pump_for(0.2)
    result = conn.streams[stream]
    assert result.headers is None and not result.data, "server answered a cancelled stream: " + result.describe()
    conn.assert_serving()


def test_rst_cancel_open_watch_then_check(conn):
    stream = conn.open(grpc_wire.HEALTH_WATCH)
    conn.send(stream, CHECK_BODY, end_stream=True)
    result = conn.streams[stream]
    conn.pump_until(lambda: len(result.data) >= 7, what="first Watch message")
    conn.reset(stream)
    received = len(result.data)
    conn.assert_serving()
    conn.pump_for(0.2)
    assert len(result.data) == received and result.trailers is None, result.describe()


@pytest.mark.slow
def test_clients_vanishing_mid_watch_are_released(server):
    """50 connections each hold a Watch and then drop the TCP connection without a word."""
    fds_before = server.open_fds()
    for _ in range(50):
        vanishing = H2Conn(server.host, server.port)
        stream = vanishing.open(grpc_wire.HEALTH_WATCH)
        vanishing.send(stream, CHECK_BODY, end_stream=True)
        result = vanishing.streams[stream]
        vanishing.pump_until(lambda: len(result.data) >= 7, what="first Watch message")
        vanishing.close()
    server.assert_fds_settle(fds_before)
    assert_new_connection_serving(server)


# -- HTTP/2 level (§1.8) --------------------------------------------------------------------------

def test_ping_is_acked(conn):
    conn.ping(b"kks-ping")
    conn.pump_until(lambda: b"kks-ping" in conn.ping_acks, timeout=2, what="PING ACK")
    conn.assert_serving()


def test_settings_and_connection_window(conn):
    """MAX_CONCURRENT_STREAMS >= 1000, MAX_HEADER_LIST_SIZE 16384 advertised, a sane stream
    window, and a WINDOW_UPDATE on stream 0 lifting the connection window above 65 535."""
    conn.pump_until(lambda: conn.connection_window_updates, timeout=2, what="WINDOW_UPDATE on stream 0")
    settings = conn.remote_settings
    codes = h2.settings.SettingCodes
    assert settings.get(int(codes.MAX_CONCURRENT_STREAMS), 2**31) >= 1000, settings
    assert settings.get(int(codes.MAX_HEADER_LIST_SIZE)) == 16384, settings
    assert 65535 <= settings.get(int(codes.INITIAL_WINDOW_SIZE), 65535) <= 4 * 1024 * 1024, settings
    assert sum(conn.connection_window_updates) >= 1 << 20, conn.connection_window_updates
    conn.assert_serving()


@pytest.mark.parametrize("preface", [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    PREFACE.replace(b"SM", b"XX"),
])
def test_bad_client_preface_closes_connection(server, preface):
    raw = FrameConn(server.host, server.port)
    try:
        raw.send_raw(preface)
        raw.read_to_eof(timeout=3)
    finally:
        raw.close()
    assert_new_connection_serving(server)


@pytest.mark.parametrize("garbage,error_code", [
    (b"\xff" * 64, h2.errors.ErrorCodes.FRAME_SIZE_ERROR),
    (b"\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff", h2.errors.ErrorCodes.PROTOCOL_ERROR),
], ids=["bytes 0xff", "DATA on stream 0"])
def test_garbage_after_preface_gets_goaway(server, garbage, error_code):
    raw = FrameConn(server.host, server.port)
    try:
        raw.handshake()
        raw.send_raw(garbage)
        goaway = raw.read_until(is_goaway, timeout=3, what="GOAWAY")
        assert goaway.frame.error_code == int(error_code), goaway.frame
        raw.read_to_eof(timeout=3)
    finally:
        raw.close()
    assert_new_connection_serving(server)


def _flood(server, frames_for_stream, count):
    """Sends `count` streams' worth of frames in one write; returns the GOAWAY that ends it."""
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        headers = raw.grpc_headers(grpc_wire.HEALTH_CHECK)
        burst = b"".join(frame.serialize() for index in range(count)
                         for frame in frames_for_stream(raw, 1 + 2 * index, headers))
        try:
            raw.send_raw(burst)
        except OSError:
            pass
        goaway = raw.read_until(is_goaway, timeout=5, what="GOAWAY")
        raw.read_to_eof(timeout=3)
        return goaway.frame
    finally:
        raw.close()


def test_streams_beyond_max_concurrent_streams_get_goaway(server):
    """The 1001st concurrently open stream breaks the advertised limit: nghttp2 ends the connection."""
    def open_only(raw, stream_id, headers):
        return [HeadersFrame(stream_id, data=raw.encoder.encode(headers), flags={"END_HEADERS"})]

    goaway = _flood(server, open_only, 1001)
    assert goaway.error_code == PROTOCOL_ERROR, goaway
    assert_new_connection_serving(server)


@pytest.mark.slow
def test_rapid_reset_flood_gets_goaway(server):
    """HEADERS + RST_STREAM(CANCEL) x 2000: nghttp2's rapid-reset guard (1000 burst) cuts it off."""
    def open_and_cancel(raw, stream_id, headers):
        return [HeadersFrame(stream_id, data=raw.encoder.encode(headers), flags={"END_HEADERS"}),
                RstStreamFrame(stream_id, error_code=int(h2.errors.ErrorCodes.CANCEL))]

    goaway = _flood(server, open_and_cancel, 2000)
    assert goaway.error_code == int(h2.errors.ErrorCodes.INTERNAL_ERROR), goaway
    assert goaway.last_stream_id < 2 * 2000, goaway
    assert_new_connection_serving(server)


def test_1000_concurrent_streams_on_one_connection(conn):
    """All 1000 streams are open at once (HEADERS first), then every body goes out."""
    streams = [conn.open(grpc_wire.HEALTH_CHECK) for _ in range(1000)]
    for stream in streams:
        conn.conn.send_data(stream, CHECK_BODY, end_stream=True)
    conn.flush()
    conn.pump_until(lambda: all(conn.streams[s].finished for s in streams), timeout=20, what="1000 answers")
    for stream in streams:
        assert_ok_response(conn.streams[stream], SERVING_REPLY)
    conn.assert_serving()
