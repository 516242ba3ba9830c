"""The ops port's limits (issue 13 §1): request targets and bodies are size-capped, a
client that does not send a whole request in time is disconnected, and connections
past --ops-max-connections are closed at accept. Raw sockets play the hostile client;
urllib, a well-behaved one, is served all along."""

import socket
import time

import pytest


def connect(server) -> socket.socket:
    host, port = server.ops_address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def response(sock: socket.socket, limit: float = 5) -> bytes:
    """Everything the server sends until it closes the connection (or `limit` seconds pass)."""
    sock.settimeout(limit)
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the connection is still open after {limit} s; received {data[:200]!r}")


def status_line(data: bytes) -> bytes:
    return data.split(b"\r\n", 1)[0]


def test_long_request_target_gets_414_and_the_port_keeps_serving(scaler):
    server = scaler()
    with connect(server) as sock:
        sock.sendall(b"GET /metrics?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = response(sock)
    assert status_line(data) == b"HTTP/1.1 414 URI Too Long", data[:200]
    assert b"request target longer than 8192 bytes" in data
    assert server.http("GET", "/healthz") == (200, b"ok\n")


def test_large_body_gets_413_before_it_is_read_whole(scaler):
    server = scaler()
    with connect(server) as sock:
        sock.sendall(b"POST /registry/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        try:
            for _ in range(40):
                sock.sendall(b"x" * 8192)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed once the cap was passed: the rest is never read
        data = response(sock)
    assert status_line(data) == b"HTTP/1.1 413 Payload Too Large", data[:200]
    assert b"request body larger than 65536 bytes" in data
    assert server.http("GET", "/healthz") == (200, b"ok\n")


@pytest.mark.parametrize("sent", [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"], ids=["silent", "headers-never-end"])
def test_slow_client_is_disconnected_after_the_request_timeout(scaler, sent):
    server = scaler("--ops-request-timeout", "1")
    with connect(server) as sock:
        sock.sendall(sent)
        start = time.monotonic()
        assert server.http("GET", "/healthz") == (200, b"ok\n"), "another client is served meanwhile"
        response(sock, limit=4)
        assert 0.8 <= time.monotonic() - start <= 3


def test_keep_alive_connection_gets_a_fresh_request_timeout_after_each_response(scaler):
    server = scaler("--ops-request-timeout", "1")
    with connect(server) as sock:
        for _ in range(3):
            time.sleep(0.6)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(2)
            assert status_line(sock.recv(4096)) == b"HTTP/1.1 200 OK"
        response(sock, limit=3)


def test_connections_past_the_cap_are_closed_at_accept(scaler):
    server = scaler("--ops-max-connections", "3", "--ops-request-timeout", "30")
    held = [connect(server) for _ in range(3)]
    try:
        time.sleep(0.3)
        with connect(server) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert response(extra, limit=3) == b"", "closed without an answer"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while server.http("GET", "/healthz") != (200, b"ok\n"):
        assert time.monotonic() < deadline, "the port serves again once connections close"
        time.sleep(0.1)
    assert server.metric("kafka_scaler_ops_connections_refused_total") >= 1


def test_oversized_header_block_gets_400(scaler):
    server = scaler()
    with connect(server) as sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 100_000 + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = response(sock)
    assert status_line(data) == b"HTTP/1.1 400 Bad Request", data[:200]
    assert server.http("GET", "/healthz") == (200, b"ok\n")
