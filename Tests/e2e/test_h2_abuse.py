"""HTTP/2 abuse (issue 13 §1): every attack a client can make on the gRPC port gets a refusal
on its own connection, while a well-behaved client on another connection keeps being served
at normal latency. Frames are hand-made (hyperframe), so nothing a client library would
refuse to send stands between the attack and the server.
"""
import contextlib
import socket
import time

import h2.errors
import pytest
from grpc_reflection.v1alpha import reflection_pb2
from hyperframe.frame import (
    ContinuationFrame, HeadersFrame, PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame,
)

import grpc_wire
import kks_server
from h2_client import H2Conn
from raw_frames import PREFACE, FrameConn, is_goaway

ENHANCE_YOUR_CALM = int(h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
NO_ERROR = int(h2.errors.ErrorCodes.NO_ERROR)
MIB = 1024 * 1024


@contextlib.contextmanager
def scaler(kks_binary, *flags):
    """A server of the test's own with extra `serve` flags, stopped afterwards."""
    process = kks_server.ServerProcess(kks_binary, extra_args=flags)
    try:
        yield process
    finally:
        process.stop()
        assert not process.crashed(), process.log_text()


class Bystander:
    """A well-behaved client on its own connection: its Check latency before and after."""

    def __init__(self, server):
        self.conn = H2Conn(server.host, server.port)
        self.conn.wait_settings()
        self.baseline = self.check_seconds()

    def check_seconds(self):
        started = time.monotonic()
        self.conn.assert_serving()
        return time.monotonic() - started

    def assert_unaffected(self):
        elapsed = self.check_seconds()
        assert elapsed < max(0.5, 20 * self.baseline), (elapsed, self.baseline)
        self.conn.close()


def expect_goaway_then_close(raw, error_code, debug=None):
    goaway = raw.read_until(is_goaway, timeout=5, what="GOAWAY")
    assert goaway.frame.error_code == error_code, goaway.frame
    if debug is not None:
        assert bytes(goaway.frame.additional_data) == debug, goaway.frame
    raw.read_to_eof(timeout=5)
    return goaway.frame


def test_ping_flood_without_calls_gets_too_many_pings(server):
    """gRPC's policy: PINGs closer than 5 minutes with nothing sent in between are strikes;
    the third strike ends the connection with ENHANCE_YOUR_CALM "too_many_pings"."""
    bystander = Bystander(server)
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        for index in range(10):
            raw.send(PingFrame(0, opaque_data=index.to_bytes(8, "big")))
        expect_goaway_then_close(raw, ENHANCE_YOUR_CALM, b"too_many_pings")
    finally:
        raw.close()
    bystander.assert_unaffected()


def test_pings_around_answers_are_welcome(server):
    """A PING after each answer (a gRPC client's BDP probe) is never a strike."""
    with H2Conn(server.host, server.port) as conn:
        conn.wait_settings()
        for _ in range(6):
            conn.assert_serving()
            conn.ping()
            conn.pump_until(lambda: conn.ping_acks, what="PING ACK")
            conn.ping_acks.clear()
        assert conn.goaway is None
        conn.assert_serving()


def test_settings_flood_gets_too_many_settings(server):
    """SETTINGS frames beyond a burst of 100 (refilled at 10/s) end the connection."""
    bystander = Bystander(server)
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        with contextlib.suppress(OSError):
            raw.send_raw(SettingsFrame(0, settings={SettingsFrame.MAX_FRAME_SIZE: 16384}).serialize() * 500)
        expect_goaway_then_close(raw, ENHANCE_YOUR_CALM, b"too_many_settings")
    finally:
        raw.close()
    bystander.assert_unaffected()


def test_continuation_flood_gets_goaway(server):
    """A header block spread over endless CONTINUATION frames (CVE-2024-28182) is cut off
    after 8, without decoding the rest."""
    bystander = Bystander(server)
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        block = raw.encoder.encode(raw.grpc_headers(grpc_wire.HEALTH_CHECK))
        frames = [HeadersFrame(1, data=block)]
        frames += [ContinuationFrame(1, data=raw.encoder.encode([("x-filler", "a" * 16)])) for _ in range(1000)]
        with contextlib.suppress(OSError):
            raw.send_raw(b"".join(frame.serialize() for frame in frames))
        goaway = raw.read_until(is_goaway, timeout=5, what="GOAWAY")
        assert goaway.frame.error_code != NO_ERROR, goaway.frame
        raw.read_to_eof(timeout=5)
    finally:
        raw.close()
    bystander.assert_unaffected()


def test_connections_over_the_limit_are_closed_at_accept(kks_binary):
    with scaler(kks_binary, "--max-connections", "2") as server:
        first, second = FrameConn(server.host, server.port), FrameConn(server.host, server.port)
        try:
            first.establish()
            second.establish()
            third = FrameConn(server.host, server.port)
            try:
                third.handshake()
                third.read_to_eof(timeout=5)
                assert not any(isinstance(item.frame, SettingsFrame) for item in third.received), third.received
            finally:
                third.close()
            second.close()
            deadline = time.monotonic() + 5
            while True:
                with H2Conn(server.host, server.port, timeout=2) as again:
                    try:
                        again.assert_serving()
                        break
                    except (AssertionError, OSError):
                        if time.monotonic() > deadline:
                            raise
                time.sleep(0.1)
        finally:
            first.close()
            second.close()


@pytest.mark.parametrize("opening", [b"", PREFACE], ids=["silent", "preface without SETTINGS"])
def test_a_client_that_never_completes_the_handshake_is_closed(kks_binary, opening):
    with scaler(kks_binary, "--handshake-timeout", "0.5") as server:
        bystander = Bystander(server)
        sock = socket.create_connection((server.host, server.port), timeout=5)
        try:
            sock.sendall(opening)
            started = time.monotonic()
            while sock.recv(4096):
                pass
            assert time.monotonic() - started < 3
        finally:
            sock.close()
        bystander.assert_unaffected()


def test_idle_connection_gets_goaway_but_a_watch_keeps_it(kks_binary):
    with scaler(kks_binary, "--idle-timeout", "1") as server:
        watched = H2Conn(server.host, server.port)
        idle = FrameConn(server.host, server.port)
        try:
            watched.wait_settings()
            watch = watched.open(grpc_wire.HEALTH_WATCH)
            watched.send(watch, grpc_wire.frame(grpc_wire.health_request("")), end_stream=True)
            idle.establish()
            expect_goaway_then_close(idle, NO_ERROR, b"idle")
            watched.pump_for(1.0)
            assert watched.goaway is None
            assert not watched.streams[watch].finished, watched.streams[watch].describe()
            watched.assert_serving()
        finally:
            idle.close()
            watched.close()


def _connection_window_credit(raw, seconds):
    """Connection-level WINDOW_UPDATE increments the server sends within `seconds`."""
    credit = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            item = raw.read_frame(timeout=max(deadline - time.monotonic(), 0.01))
        except TimeoutError:
            break
        if item is None:
            break
        if isinstance(item.frame, WindowUpdateFrame) and item.frame.stream_id == 0:
            credit += item.frame.window_increment
    return credit


def test_buffered_request_bytes_keep_the_connection_window_shut(server):
    """15 reflection streams each send 1 MiB of a message declared as 4 MiB: the server holds
    15 MiB it cannot dispatch, so it grants no connection window for them; once the streams
    are reset the window comes back and the connection serves again."""
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        raw.expect(lambda item: isinstance(item.frame, WindowUpdateFrame) and item.frame.stream_id == 0,
                   what="the initial connection WINDOW_UPDATE")
        headers = raw.grpc_headers(grpc_wire.REFLECTION_V1)
        streams = [1 + 2 * index for index in range(15)]
        prefix = b"\x00" + (4 * MIB - 64).to_bytes(4, "big")
        for stream in streams:
            raw.send_headers(stream, headers)
            body = prefix + b"\x00" * (MIB - len(prefix))
            for offset in range(0, MIB, 16384):
                raw.send_data(stream, body[offset:offset + 16384])
        assert _connection_window_credit(raw, 1.5) < MIB
        for stream in streams:
            raw.send(RstStreamFrame(stream, error_code=int(h2.errors.ErrorCodes.CANCEL)))
        assert _connection_window_credit(raw, 1.5) >= 15 * MIB - 65535
        raw.send_headers(41, raw.grpc_headers(grpc_wire.HEALTH_CHECK))
        raw.send_data(41, grpc_wire.frame(grpc_wire.health_request("")), end_stream=True)
        answer = raw.read_until(lambda item: item.frame.stream_id == 41 and item.header("grpc-status") is not None,
                                what="Check answer")
        assert answer.header("grpc-status") == "0"
    finally:
        raw.close()


def _reflection_requests(size):
    """Whole reflection requests (each answered with a file descriptor) filling `size` bytes."""
    request = grpc_wire.frame(reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="grpc.health.v1.Health").SerializeToString())
    return request * (size // len(request))


def test_a_stream_whose_answers_are_never_read_is_reset(server):
    """A client that opens no stream window but keeps asking on a reflection stream: once
    4 MiB of answers wait, the stream is reset with ENHANCE_YOUR_CALM."""
    bystander = Bystander(server)
    raw = FrameConn(server.host, server.port)
    try:
        raw.send_raw(PREFACE)
        raw.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}))
        raw.read_until(lambda item: isinstance(item.frame, SettingsFrame) and "ACK" not in item.frame.flags,
                       what="server SETTINGS")
        raw.send_headers(1, raw.grpc_headers(grpc_wire.REFLECTION_V1))
        burst = _reflection_requests(512 * 1024)
        for offset in range(0, len(burst), 16384):
            raw.send_data(1, burst[offset:offset + 16384])
        reset = raw.read_until(lambda item: isinstance(item.frame, RstStreamFrame), timeout=10, what="RST_STREAM")
        assert reset.frame.error_code == ENHANCE_YOUR_CALM, reset.frame
    finally:
        raw.close()
    bystander.assert_unaffected()


def _rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_client_that_never_reads_its_socket_stops_being_read(server):
    """600 reflection streams each ask for ~300 KiB of answers (9.6 MiB of requests, ~190 MiB
    of answers) while the client reads nothing: once the socket is full the server stops
    reading the client instead of queueing answers, so its memory stays put."""
    bystander = Bystander(server)
    raw = FrameConn(server.host, server.port)
    try:
        raw.send_raw(PREFACE)
        raw.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 2**31 - 1}))
        raw.send(WindowUpdateFrame(0, window_increment=2**31 - 1 - 65535))
        before = _rss_bytes(server.proc.pid)
        raw.sock.settimeout(5)
        headers = raw.grpc_headers(grpc_wire.REFLECTION_V1)
        chunk = _reflection_requests(16384)
        with contextlib.suppress(socket.timeout, TimeoutError):
            for index in range(600):
                raw.send_headers(1 + 2 * index, headers)
                raw.send_data(1 + 2 * index, chunk)
        time.sleep(1)
        growth = _rss_bytes(server.proc.pid) - before
        assert growth < 64 * MIB, f"RSS +{growth // MIB} MiB"
    finally:
        raw.close()
    bystander.assert_unaffected()
