"""A raw HTTP/2 client on hyper-h2 that can send requests real gRPC clients never would.

Validation and normalisation of outbound headers are off, so a test can send GET, bad
`te`, a missing `:authority` and the like, and see exactly what the server answers:
HEADERS, DATA, trailers, RST_STREAM, GOAWAY.
"""
import socket
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

import grpc_wire

DEFAULT_TIMEOUT = 5.0


class StreamResult:
    """Everything the server sent on one stream."""

    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.headers = None
        self.headers_ended_stream = False
        self.data = bytearray()
        self.trailers = None
        self.ended = False
        self.reset_code = None
        self.started_at = time.monotonic()
        self.finished_at = None

    @property
    def finished(self):
        return self.ended or self.reset_code is not None

    @property
    def http_status(self):
        return int(self.header(":status")) if self.headers else None

    def header(self, name):
        for key, value in self.headers or ():
            if key == name:
                return value
        return None

    def trailer(self, name):
        """A trailer, or a header of a Trailers-Only response."""
        block = self.trailers if self.trailers is not None else (self.headers if self.headers_ended_stream else None)
        for key, value in block or ():
            if key == name:
                return value
        return None

    @property
    def grpc_status(self):
        value = self.trailer("grpc-status")
        return int(value) if value is not None else None

    @property
    def grpc_message(self):
        value = self.trailer("grpc-message")
        return grpc_wire.decode_grpc_message(value) if value is not None else None

    @property
    def trailers_only(self):
        """One HEADERS frame with END_STREAM and nothing else."""
        return self.headers_ended_stream and not self.data and self.trailers is None

    @property
    def messages(self):
        return grpc_wire.split_messages(bytes(self.data))

    @property
    def elapsed(self):
        return (self.finished_at or time.monotonic()) - self.started_at

    def describe(self):
        return (f"stream {self.stream_id}: headers={self.headers} ended_with_headers={self.headers_ended_stream} "
                f"data={bytes(self.data[:64]).hex()}({len(self.data)}B) trailers={self.trailers} "
                f"rst={self.reset_code}")


def _text(headers):
    return [(k.decode("latin-1") if isinstance(k, bytes) else k,
             v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in headers]


class H2Conn:
    """One h2c connection (prior knowledge) driven synchronously by the test."""

    def __init__(self, host, port, timeout=DEFAULT_TIMEOUT):
        self.host = host
        self.port = port
        self.authority = f"{host}:{port}"
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        config = h2.config.H2Configuration(
            client_side=True, validate_outbound_headers=False, normalize_outbound_headers=False,
            validate_inbound_headers=False, normalize_inbound_headers=False,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.streams = {}
        self.remote_settings = {}
        self.settings_received = False
        self.connection_window_updates = []
        self.ping_acks = []
        self.goaway = None
        self.closed = False
        self.conn.initiate_connection()
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    # -- reading --------------------------------------------------------------------

    def receive_once(self, timeout):
        """Reads one chunk from the socket and dispatches its events; False once closed."""
        if self.closed:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return True
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(chunk)
        except h2.exceptions.ProtocolError as error:
            raise AssertionError(f"server sent something h2 rejects: {error!r}") from error
        for event in events:
            self._dispatch(event)
        self.flush()
        return True

    def _stream(self, stream_id):
        return self.streams.setdefault(stream_id, StreamResult(stream_id))

    def _dispatch(self, event):
        now = time.monotonic()
        if isinstance(event, h2.events.ResponseReceived):
            result = self._stream(event.stream_id)
            result.headers = _text(event.headers)
            result.headers_ended_stream = event.stream_ended is not None
        elif isinstance(event, h2.events.DataReceived):
            result = self._stream(event.stream_id)
            result.data.extend(event.data)
            if event.flow_controlled_length:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            self._stream(event.stream_id).trailers = _text(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            result = self._stream(event.stream_id)
            result.ended = True
            result.finished_at = now
        elif isinstance(event, h2.events.StreamReset):
            result = self._stream(event.stream_id)
            result.reset_code = int(event.error_code)
            result.finished_at = result.finished_at or now
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings_received = True
            for key, change in event.changed_settings.items():
                self.remote_settings[int(key)] = change.new_value
        elif isinstance(event, h2.events.WindowUpdated):
            if event.stream_id == 0:
                self.connection_window_updates.append(event.delta)
        elif isinstance(event, h2.events.PingAckReceived):
            self.ping_acks.append(event.ping_data)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event

    def pump_until(self, predicate, timeout=None, what="condition"):
        """Processes server frames until `predicate()` holds; fails after `timeout`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout or self.timeout}s waiting for {what}")
            if not self.receive_once(min(remaining, 0.5)) and not predicate():
                raise AssertionError(f"connection closed while waiting for {what}; goaway={self.goaway}")

    def pump_for(self, seconds):
        """Processes whatever the server sends during `seconds`."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if not self.receive_once(min(remaining, 0.5)):
                return

    def wait_settings(self):
        self.pump_until(lambda: self.settings_received, what="server SETTINGS")

    # -- writing --------------------------------------------------------------------

    def open(self, path, headers=None, end_stream=False, **overrides):
        """Sends request HEADERS; returns the stream id."""
        stream_id = self.conn.get_next_available_stream_id()
        block = headers if headers is not None else grpc_wire.grpc_request_headers(path, self.authority, **overrides)
        self.streams[stream_id] = StreamResult(stream_id)
        self.conn.send_headers(stream_id, block, end_stream=end_stream)
        self.flush()
        return stream_id

    def send(self, stream_id, data, end_stream=False, chunk=None):
        """Sends body bytes in DATA frames of at most `chunk` bytes, honouring flow control.

        Stops early (returns False) if the server resets or ends the stream meanwhile.
        """
        step = chunk or self.conn.max_outbound_frame_size
        offset = 0
        deadline = time.monotonic() + 3 * self.timeout
        while True:
            result = self.streams[stream_id]
            if result.reset_code is not None or self.closed:
                return False
            piece_len = min(step, len(data) - offset)
            if piece_len > 0:
                window = self.conn.local_flow_control_window(stream_id)
                if window <= 0:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"flow-control window of stream {stream_id} stayed shut")
                    self.receive_once(0.5)
                    continue
                piece_len = min(piece_len, window)
            last = offset + piece_len >= len(data)
            try:
                self.conn.send_data(stream_id, data[offset:offset + piece_len], end_stream=end_stream and last)
            except h2.exceptions.StreamClosedError:
                return False
            self.flush()
            offset += piece_len
            if last:
                return True

    def end(self, stream_id):
        self.conn.end_stream(stream_id)
        self.flush()

    def reset(self, stream_id, code=h2.errors.ErrorCodes.CANCEL):
        self.conn.reset_stream(stream_id, error_code=code)
        self.flush()

    def ping(self, payload=b"kks-e2e!"):
        self.conn.ping(payload)
        self.flush()

    # -- whole calls ----------------------------------------------------------------

    def wait(self, stream_id, timeout=None):
        result = self.streams[stream_id]
        self.pump_until(lambda: result.finished, timeout, what=f"stream {stream_id} to finish")
        return result

    def call(self, path=grpc_wire.HEALTH_CHECK, body=None, headers=None, timeout=None, chunk=None, **overrides):
        """One request: HEADERS, then `body` (None: END_STREAM on HEADERS), then the answer."""
        stream_id = self.open(path, headers=headers, end_stream=body is None, **overrides)
        if body is not None:
            self.send(stream_id, body, end_stream=True, chunk=chunk)
        return self.wait(stream_id, timeout)

    def check(self, service=""):
        return self.call(body=grpc_wire.frame(grpc_wire.health_request(service)))

    def assert_serving(self):
        """The connection still answers Check("") with SERVING."""
        result = self.check()
        assert_ok_response(result, [grpc_wire.health_response(grpc_wire.SERVING)])
        return result


def assert_ok_response(result, expected_messages):
    """A normal gRPC response: 200, application/grpc, messages, trailers with grpc-status 0."""
    assert result.reset_code is None, result.describe()
    assert result.http_status == 200, result.describe()
    assert (result.header("content-type") or "").startswith("application/grpc"), result.describe()
    assert result.trailers is not None, "no trailers HEADERS frame: " + result.describe()
    assert result.grpc_status == grpc_wire.OK, result.describe()
    assert result.messages == expected_messages, result.describe()


def assert_trailers_only(result, code):
    """An error sent as Trailers-Only: one HEADERS frame with END_STREAM and grpc-status."""
    assert result.reset_code in (None, 0), result.describe()
    assert result.http_status == 200, result.describe()
    assert result.trailers_only, "not Trailers-Only: " + result.describe()
    assert (result.header("content-type") or "").startswith("application/grpc"), result.describe()
    assert result.grpc_status == code, result.describe()
