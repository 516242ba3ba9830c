"""SASL PLAIN and SCRAM-SHA-256/512, with and without TLS, through `serve` against brokers that
demand them (issue 10): the mock cluster's brokers sit behind Kafka-protocol SASL fronts
(kafka_sasl_front.py) that verify every handshake as Kafka does.

Right credentials serve KEDA's lag; wrong ones are UNAUTHENTICATED within the caller's deadline,
with no secret in the error, the logs, /registry or /metrics; a profile fixed after a failure
is used at the next call, without a restart."""
import subprocess
import ssl
import time

import grpc
import pytest

from kafka_sasl_front import FrontPolicy, SaslFronts, failed_message
from scaler_harness import expected_for, trigger

PASSWORD = "sasl-pw-4c1d9e"
WRONG = "sasl-wrong-7f3b21"
MECHANISMS = {"plaintext": "PLAIN", "scram_sha256": "SCRAM-SHA-256", "scram_sha512": "SCRAM-SHA-512"}


@pytest.fixture
def cluster(mock_cluster):
    cluster = mock_cluster(brokers=2, topics={"t": 3})
    cluster.set_lags("g", "t", [5, 7, 9])
    return cluster


@pytest.fixture
def front_tls(tmp_path):
    """A self-signed certificate for 127.0.0.1, and the server context the fronts use."""
    key, cert = tmp_path / "front.key", tmp_path / "front.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-subj", "/CN=kafka-front", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert.read_text()


@pytest.fixture
def fronts(cluster):
    started = []

    def start(tls=None, **policy):
        front = SaslFronts(cluster.bootstrap, FrontPolicy(mechanisms=set(MECHANISMS.values()), **policy), tls)
        started.append(front)
        return front

    yield start
    for front in started:
        front.close()


def write_profile(directory, **files):
    directory.mkdir(exist_ok=True)
    for key, value in files.items():
        (directory / key).write_text(value)


def assert_no_secret(server, *texts):
    seen = [*texts, "".join(server.log_lines), str(server.registry()), server.http("GET", "/metrics")[1].decode()]
    for text in seen:
        for secret in (PASSWORD, WRONG):
            assert secret not in text, f"{secret!r} leaked into: {text[:300]}"


@pytest.mark.time_limit(120)
@pytest.mark.parametrize("use_tls", [False, True], ids=["sasl_plaintext", "sasl_ssl"])
@pytest.mark.parametrize("mode", sorted(MECHANISMS))
def test_right_credentials_serve_lag(cluster, fronts, front_tls, scaler, tmp_path, mode, use_tls):
    context, ca = front_tls
    front = fronts(tls=context if use_tls else None, users={"svc-scaler": PASSWORD})
    write_profile(tmp_path / "kafka", sasl=mode, username="svc-scaler", password=PASSWORD,
                  tls="enable" if use_tls else "disable", ca=ca)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    expected, _ = expected_for(cluster, "g", "t")
    assert server.get_metrics("right", metadata) == expected == 21
    assert (MECHANISMS[mode], "svc-scaler") in front.counters.successes
    assert not front.counters.failures
    assert_no_secret(server)


@pytest.mark.time_limit(60)
@pytest.mark.parametrize("mode", sorted(MECHANISMS))
def test_wrong_credentials_are_unauthenticated_within_the_deadline(cluster, fronts, scaler, mode):
    front = fronts(users={"svc-scaler": PASSWORD})
    # The caller's 2 s deadline is shorter than the Kafka timeout: the answer must still say why.
    server = scaler("--kafka-timeout", "6", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", sasl=mode, username="svc-scaler", password=WRONG)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("wrong", metadata, timeout=2)
    elapsed = time.monotonic() - started
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED, failure.value.details()
    assert elapsed < 2.5
    assert failed_message(MECHANISMS[mode]) in failure.value.details()
    assert front.counters.failures and not front.counters.successes
    assert_no_secret(server, failure.value.details())


@pytest.mark.time_limit(90)
def test_a_fixed_profile_is_used_after_the_failure(cluster, fronts, scaler, tmp_path):
    front = fronts(users={"svc-scaler": PASSWORD})
    write_profile(tmp_path / "kafka", sasl="scram_sha512", username="svc-scaler", password=WRONG)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "3")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("fixed", metadata)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED, failure.value.details()
    write_profile(tmp_path / "kafka", password=PASSWORD)
    # The failure marked the source for re-resolution: the next call reads the fixed profile.
    assert server.get_metrics("fixed", metadata) == 21
    assert ("SCRAM-SHA-512", "svc-scaler") in front.counters.successes
    assert_no_secret(server)


@pytest.mark.time_limit(60)
def test_a_mechanism_the_broker_does_not_enable_is_unauthenticated(cluster, fronts, scaler):
    front = fronts(users={"svc-scaler": PASSWORD})
    front.policy.mechanisms = {"SCRAM-SHA-512"}
    server = scaler("--kafka-timeout", "3")
    metadata = trigger(front.bootstrap, "g", "t", sasl="plaintext", username="svc-scaler", password=PASSWORD)
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("unsupported", metadata)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED, failure.value.details()
    assert "PLAIN" in failure.value.details()
    assert_no_secret(server, failure.value.details())
