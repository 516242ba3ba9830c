"""TLS on the gRPC port: grpcio over TLS, ALPN h2, TLS 1.2 minimum, plaintext clients refused."""
import socket
import ssl
import time

import grpc
import pytest

from tls_clients import RPC_TIMEOUT, handshake, health_check, secure_channel


@pytest.fixture
def tls_server(start_server, material):
    return start_server("--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key))


def test_grpcio_secure_channel_gets_serving(tls_server, material):
    assert tls_server.tls_mode == "on"
    with secure_channel(tls_server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"
        assert health_check(channel) == "SERVING"


def test_alpn_selects_h2_and_the_configured_certificate(tls_server, material):
    serial, protocol, version = handshake(tls_server.port, material.ca)
    assert protocol == "h2"
    assert serial == material.server1.serial_hex
    assert version in ("TLSv1.2", "TLSv1.3")


def test_alpn_without_h2_is_not_acknowledged(tls_server, material):
    _, protocol, _ = handshake(tls_server.port, material.ca, alpn=("http/1.1",))
    assert protocol is None


def test_tls_1_2_is_accepted(tls_server, material):
    context = ssl.create_default_context(cafile=str(material.ca.cert))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=RPC_TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.2"
            assert tls.selected_alpn_protocol() == "h2"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_tls_1_1_is_refused_by_the_server(tls_server, material):
    context = ssl.create_default_context(cafile=str(material.ca.cert))
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=RPC_TIMEOUT) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname="127.0.0.1")
    # The server's protocol_version alert, not a client that refused to offer TLS 1.1 at all.
    assert "ALERT_PROTOCOL_VERSION" in str(refused.value)


def test_plaintext_grpcio_client_is_refused_and_others_keep_working(tls_server, material):
    started = time.monotonic()
    with grpc.insecure_channel(tls_server.target) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            health_check(channel, timeout=RPC_TIMEOUT)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < RPC_TIMEOUT, "the plaintext client hung until its deadline"
    with secure_channel(tls_server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"


def test_plaintext_preface_gets_the_connection_closed(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=RPC_TIMEOUT) as raw:
        raw.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))
        received = b""
        while True:
            chunk = raw.recv(4096)
            if not chunk:
                break
            received += chunk
    # At most a TLS alert record (content type 21), never HTTP/2 frames.
    assert received == b"" or received[0] == 21


def test_environment_variables_turn_tls_on(start_server, material):
    server = start_server(env={"KKS_TLS_CERT": str(material.server1.cert), "KKS_TLS_KEY": str(material.server1.key)})
    assert server.tls_mode == "on"
    with secure_channel(server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"
