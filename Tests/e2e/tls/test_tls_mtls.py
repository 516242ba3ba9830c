"""mTLS: with --tls-client-ca, only clients with a certificate issued by that CA get in."""
import ssl
import subprocess
import time

import grpc
import pytest

from tls_clients import handshake, health_check, secure_channel


@pytest.fixture
def mtls_server(start_server, material):
    return start_server(
        "--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key),
        "--tls-client-ca", str(material.ca.cert),
    )


def test_client_with_a_certificate_from_the_ca_is_served(mtls_server, material):
    assert mtls_server.tls_mode == "mtls"
    with secure_channel(mtls_server.target, material.ca, client=material.client) as channel:
        assert health_check(channel) == "SERVING"
    _, protocol, _ = handshake(mtls_server.port, material.ca, client=material.client)
    assert protocol == "h2"


def test_client_without_a_certificate_is_refused(mtls_server, material):
    with secure_channel(mtls_server.target, material.ca) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            health_check(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(mtls_server.port, material.ca)


def test_client_with_a_certificate_from_another_ca_is_refused(mtls_server, material):
    with secure_channel(mtls_server.target, material.ca, client=material.other_client) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            health_check(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(mtls_server.port, material.ca, client=material.other_client)


def test_refused_clients_leave_the_server_serving_without_leaking(mtls_server, material):
    with secure_channel(mtls_server.target, material.ca, client=material.client) as channel:
        assert health_check(channel) == "SERVING"
    before = mtls_server.open_fds()
    for _ in range(10):
        for client in (None, material.other_client):
            with pytest.raises((ssl.SSLError, ConnectionError)):
                handshake(mtls_server.port, material.ca, client=client)
        with grpc.insecure_channel(mtls_server.target) as channel:
            with pytest.raises(grpc.RpcError):
                health_check(channel)
    deadline = time.monotonic() + 5
    while mtls_server.open_fds() > before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mtls_server.open_fds() <= before + 2, "refused connections were not released"
    with secure_channel(mtls_server.target, material.ca, client=material.client) as channel:
        assert health_check(channel) == "SERVING"


def test_allowed_client_names_admit_only_the_named_client(start_server, material, kks_binary):
    """Issue 11, attack 3: mTLS says who a client is; --allowed-client-names says which
    clients may drive the scaler (KEDA's operator certificate in production)."""
    tls = ("--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key), "--tls-client-ca", str(material.ca.cert))
    named = start_server(*tls, "--allowed-client-names", "keda-operator.keda.svc, kks-client")
    with secure_channel(named.target, material.ca, client=material.client) as channel:
        assert health_check(channel) == "SERVING"
    other = start_server(*tls, "--allowed-client-names", "keda-operator.keda.svc")
    with secure_channel(other.target, material.ca, client=material.client) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            health_check(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with secure_channel(other.target, material.ca, client=material.other_client) as channel:
        with pytest.raises(grpc.RpcError):
            health_check(channel)
    assert other.proc.poll() is None
    result = subprocess.run([kks_binary, "serve", "--allowed-client-names", "x"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "needs --tls-client-ca" in result.stderr
