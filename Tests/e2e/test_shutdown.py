"""The SIGTERM drain observed frame by frame (grpc-h2.md §1.7, DESIGN.md §6)."""
import time

import pytest
from hyperframe.frame import DataFrame, GoAwayFrame, HeadersFrame, PingFrame

import grpc_wire
import kks_server
from grpc_wire import frame, health_request, health_response
from raw_frames import FrameConn

LAST_STREAM_ID_MAX = 2**31 - 1
CHECK_BODY = frame(health_request(""))


def on_stream(stream_id, kind):
    return lambda item: isinstance(item.frame, kind) and item.frame.stream_id == stream_id


def is_ping_ack(item):
    return isinstance(item.frame, PingFrame) and "ACK" in item.frame.flags and item.frame.opaque_data == b"draining"


def test_sigterm_drain_sequence_on_the_wire(fresh_server):
    server = fresh_server
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        watch_headers = raw.grpc_headers(grpc_wire.HEALTH_WATCH)
        raw.send_headers(1, watch_headers)
        raw.send_data(1, CHECK_BODY, end_stream=True)
        first = raw.read_until(on_stream(1, DataFrame), what="first Watch message")
        assert bytes(first.frame.data) == frame(health_response(grpc_wire.SERVING))

        server.sigterm()
        goaways, watch_data = [], bytearray()
        while not goaways or frame(health_response(grpc_wire.NOT_SERVING)) not in watch_data:
            item = raw.read_until(lambda i: isinstance(i.frame, (GoAwayFrame, DataFrame)), timeout=2,
                                  what="first GOAWAY and NOT_SERVING on the Watch")
            if isinstance(item.frame, GoAwayFrame):
                goaways.append(item)
            elif item.frame.stream_id == 1:
                watch_data.extend(item.frame.data)
        notice = goaways[0]
        assert notice.frame.last_stream_id == LAST_STREAM_ID_MAX and notice.frame.error_code == 0, notice
        assert notice.at - server.sigterm_at < 0.5, f"first GOAWAY {notice.at - server.sigterm_at:.3f}s after SIGTERM"
        assert len(goaways) == 1, "second GOAWAY came before the new stream could be opened"

        check_headers = raw.grpc_headers(grpc_wire.HEALTH_CHECK)
        raw.send_headers(3, check_headers)
        raw.send_data(3, CHECK_BODY, end_stream=True)
        answer = raw.read_until(
            lambda i: on_stream(3, HeadersFrame)(i) and "END_STREAM" in i.frame.flags,
            what="the answer on stream 3, opened between the GOAWAYs")
        assert answer.header("grpc-status") == "0", answer
        stream3 = bytes(b"".join(bytes(i.frame.data) for i in raw.received if on_stream(3, DataFrame)(i)))
        assert stream3 == frame(health_response(grpc_wire.NOT_SERVING))

        raw.send(PingFrame(0, opaque_data=b"draining"))
        final = raw.read_until(lambda i: isinstance(i.frame, GoAwayFrame), timeout=3, what="second GOAWAY")
        assert final.frame.last_stream_id == 3 and final.frame.error_code == 0, final
        gap = final.at - notice.at
        assert 0.5 <= gap <= 2.5, f"second GOAWAY {gap:.3f}s after the first"

        raw.expect(is_ping_ack, timeout=1, what="PING ACK while draining")
        raw.send_headers(5, raw.grpc_headers(grpc_wire.HEALTH_CHECK), end_stream=False)
        end = raw.expect(lambda i: on_stream(1, HeadersFrame)(i) and "END_STREAM" in i.frame.flags,
                             timeout=server.shutdown_grace + 1, what="the Watch's trailers")
        assert end.header("grpc-status") == str(grpc_wire.UNAVAILABLE), end
        raw.read_to_eof(timeout=server.shutdown_grace + 1)
        closed_after = time.monotonic() - server.sigterm_at
        served5 = [i for i in raw.received if i.frame.stream_id == 5 and isinstance(i.frame, (HeadersFrame, DataFrame))]
        assert not served5, "stream 5, opened after the last GOAWAY, was served"
        assert closed_after <= server.shutdown_grace, f"connection closed {closed_after:.3f}s after SIGTERM"
    finally:
        raw.close()
    code = server.wait_exit(server.shutdown_grace + 2)
    assert code == 0, f"exit status {code}\n{server.log_text()}"


def test_sigterm_ends_100_watches_on_one_connection(fresh_server):
    """Raw frames, since h2's state machine stops at the first GOAWAY."""
    server = fresh_server
    raw = FrameConn(server.host, server.port)
    streams = range(1, 201, 2)
    try:
        raw.establish()
        for stream in streams:
            raw.send_headers(stream, raw.grpc_headers(grpc_wire.HEALTH_WATCH))
            raw.send_data(stream, CHECK_BODY, end_stream=True)

        def watch_data(stream):
            return b"".join(bytes(i.frame.data) for i in raw.received if on_stream(stream, DataFrame)(i))

        def ended(stream):
            return any(on_stream(stream, HeadersFrame)(i) and "END_STREAM" in i.frame.flags for i in raw.received)

        while not all(watch_data(s) for s in streams):
            raw.read_frame()
        server.sigterm()
        while not all(ended(s) for s in streams):
            assert raw.read_frame(timeout=server.shutdown_grace + 1) is not None, "closed before every Watch ended"
        for stream in streams:
            assert watch_data(stream) == frame(health_response(grpc_wire.SERVING)) + \
                frame(health_response(grpc_wire.NOT_SERVING)), (stream, watch_data(stream))
            trailers = [i for i in raw.received if on_stream(stream, HeadersFrame)(i) and "END_STREAM" in i.frame.flags]
            assert trailers[0].header("grpc-status") == str(grpc_wire.UNAVAILABLE), trailers
        raw.read_to_eof(timeout=server.shutdown_grace)
    finally:
        raw.close()
    assert server.wait_exit(server.shutdown_grace + 2) == 0, server.log_text()


@pytest.mark.slow
def test_stuck_call_does_not_hold_the_process_past_the_grace(kks_binary):
    """A unary call whose client never finishes its message: exit 0 at the grace (X5), not later."""
    server = kks_server.ServerProcess(kks_binary, shutdown_grace=2)
    raw = FrameConn(server.host, server.port)
    try:
        raw.establish()
        raw.send_headers(1, raw.grpc_headers(grpc_wire.HEALTH_CHECK))
        raw.send_data(1, CHECK_BODY[:3], end_stream=False)
        server.sigterm()
        raw.read_to_eof(timeout=server.shutdown_grace + 1)
        closed_after = time.monotonic() - server.sigterm_at
        assert server.shutdown_grace - 0.5 <= closed_after <= server.shutdown_grace + 0.5, closed_after
        goaways = [i.frame.last_stream_id for i in raw.received if isinstance(i.frame, GoAwayFrame)]
        assert goaways == [LAST_STREAM_ID_MAX, 1], goaways
        assert server.wait_exit(1) == 0, server.log_text()
    finally:
        raw.close()
        server.stop()
