"""`keda-kafka-scaler health` as the exec probe of a TLS scaler (kubelet gRPC probes
cannot speak TLS): grpc_health_probe's TLS flags and exit codes."""
import subprocess

import pytest

COMMAND_TIMEOUT = 20


def health(kks_binary, server, *flags):
    return subprocess.run([kks_binary, "health", "--address", server.target, "--timeout", "3", *flags],
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


@pytest.fixture
def tls_only(start_server, material):
    return start_server("--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key))


@pytest.fixture
def mtls(start_server, material):
    return start_server("--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key),
                        "--tls-client-ca", str(material.ca.cert))


def test_health_over_tls_trusting_the_ca(kks_binary, tls_only, material):
    done = health(kks_binary, tls_only, "--tls-ca-cert", str(material.ca.cert))
    assert done.returncode == 0, done.stderr
    assert "SERVING" in done.stdout.upper()


def test_health_refuses_an_untrusted_certificate(kks_binary, tls_only, material):
    done = health(kks_binary, tls_only, "--tls-ca-cert", str(material.other_ca.cert))
    assert done.returncode in (2, 3), done.stdout + done.stderr
    assert health(kks_binary, tls_only, "--tls-no-verify").returncode == 0


def test_plaintext_health_against_a_tls_port_fails_without_hanging(kks_binary, tls_only):
    done = health(kks_binary, tls_only)
    assert done.returncode in (2, 3), done.stdout + done.stderr


def test_mtls_health_needs_a_client_certificate(kks_binary, mtls, material):
    good = health(kks_binary, mtls, "--tls-ca-cert", str(material.ca.cert),
                  "--tls-client-cert", str(material.client.cert), "--tls-client-key", str(material.client.key))
    assert good.returncode == 0, good.stderr
    anonymous = health(kks_binary, mtls, "--tls-ca-cert", str(material.ca.cert))
    assert anonymous.returncode in (2, 3), anonymous.stdout + anonymous.stderr


def test_client_certificate_without_key_is_a_usage_error(kks_binary, tls_only, material):
    done = health(kks_binary, tls_only, "--tls-client-cert", str(material.client.cert))
    assert done.returncode == 1, done.stderr
