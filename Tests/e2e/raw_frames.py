"""HTTP/2 at the frame level (hyperframe + hpack), for what hyper-h2's state machine hides.

h2 stops at the first GOAWAY and refuses to send some illegal sequences; the shutdown and
preface tests need to see every frame the server sends, with its arrival time.
"""
import socket
import time

import hpack
from hyperframe.frame import (
    DataFrame, Frame, GoAwayFrame, HeadersFrame, SettingsFrame, WindowUpdateFrame,
)

import grpc_wire

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class Received:
    """One frame from the server, with decoded headers for HEADERS frames."""

    def __init__(self, frame, headers, at):
        self.frame = frame
        self.headers = headers
        self.at = at

    def header(self, name):
        for key, value in self.headers or ():
            if key == name:
                return value
        return None

    def __repr__(self):
        return f"<{type(self.frame).__name__} stream={self.frame.stream_id} flags={sorted(self.frame.flags)} headers={self.headers}>"


class FrameConn:
    """A socket that speaks HTTP/2 frames directly."""

    def __init__(self, host, port, timeout=5.0):
        self.authority = f"{host}:{port}"
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.buffer = b""
        self.received = []
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, frame):
        self.sock.sendall(frame.serialize())

    def handshake(self, window=1 << 24):
        """Preface, empty SETTINGS and a big connection window, so DATA is never held back."""
        self.send_raw(PREFACE)
        self.send(SettingsFrame(0))
        self.send(WindowUpdateFrame(0, window_increment=window))

    def establish(self):
        """handshake(), then waits for the server's SETTINGS (ACKed by read_frame)."""
        self.handshake()
        self.read_until(lambda item: isinstance(item.frame, SettingsFrame) and "ACK" not in item.frame.flags,
                        what="server SETTINGS")

    def grpc_headers(self, path, **overrides):
        return grpc_wire.grpc_request_headers(path, self.authority, **overrides)

    def send_headers(self, stream_id, headers, end_stream=False):
        flags = {"END_HEADERS"} | ({"END_STREAM"} if end_stream else set())
        self.send(HeadersFrame(stream_id, data=self.encoder.encode(headers), flags=flags))

    def send_data(self, stream_id, data, end_stream=False):
        self.send(DataFrame(stream_id, data=data, flags={"END_STREAM"} if end_stream else set()))

    def _read_exactly(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout as error:
                raise TimeoutError from error
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                return None
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_frame(self, timeout=5.0):
        """The next frame (SETTINGS are ACKed on the way), None at EOF; TimeoutError if none."""
        deadline = time.monotonic() + timeout
        head = self._read_exactly(9, deadline)
        if head is None:
            return None
        frame, length = Frame.parse_frame_header(memoryview(head))
        body = self._read_exactly(length, deadline) if length else b""
        if body is None:
            return None
        frame.parse_body(memoryview(body))
        headers = None
        if isinstance(frame, HeadersFrame):
            headers = [(k.decode("latin-1") if isinstance(k, bytes) else k,
                        v.decode("latin-1") if isinstance(v, bytes) else v)
                       for k, v in self.decoder.decode(bytes(frame.data))]
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.send(SettingsFrame(0, flags={"ACK"}))
        item = Received(frame, headers, time.monotonic())
        self.received.append(item)
        return item

    def read_until(self, predicate, timeout=5.0, what="frame"):
        """Reads frames until one satisfies `predicate`; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                item = self.read_frame(max(remaining, 0.0))
            except TimeoutError as error:
                raise AssertionError(f"no {what} within {timeout}s; got {self.received}") from error
            if item is None:
                raise AssertionError(f"connection closed before {what}; got {self.received}")
            if predicate(item):
                return item

    def expect(self, predicate, timeout=5.0, what="frame"):
        """The first frame received so far that satisfies `predicate`, else the next one read."""
        for item in self.received:
            if predicate(item):
                return item
        return self.read_until(predicate, timeout, what)

    def read_to_eof(self, timeout=5.0):
        """Reads until the server closes the connection; fails if it stays open."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                if self.read_frame(max(remaining, 0.0)) is None:
                    return
            except TimeoutError as error:
                raise AssertionError(f"connection still open after {timeout}s; got {self.received}") from error


def is_goaway(item):
    return isinstance(item.frame, GoAwayFrame)
