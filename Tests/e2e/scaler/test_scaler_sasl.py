"""SASL PLAIN and SCRAM-SHA-256/512, with and without TLS, through `serve` against brokers that
demand them (issue 10): the mock cluster's brokers sit behind Kafka-protocol SASL fronts
(kafka_sasl_front.py) that verify every handshake as Kafka does.

Right credentials serve KEDA's lag; wrong ones are UNAUTHENTICATED within the caller's deadline,
with no secret in the error, the logs, /registry or /metrics; a profile fixed after a failure
is used at the next call, without a restart."""
import grpc
import pytest

from kafka_sasl_front import FrontPolicy, SaslFronts, failed_message
from scaler_harness import assert_no_secret, assert_probe_serves, assert_unauthenticated_in_time, expected_for, trigger, write_profile

PASSWORD = "sasl-pw-4c1d9e"
WRONG = "sasl-wrong-7f3b21"
SECRETS = (PASSWORD, WRONG)
MECHANISMS = {"plaintext": "PLAIN", "scram_sha256": "SCRAM-SHA-256", "scram_sha512": "SCRAM-SHA-512"}


@pytest.fixture
def fronts(lagging_cluster, closing):
    def start(tls=None, **policy):
        return closing(SaslFronts(lagging_cluster.bootstrap, FrontPolicy(mechanisms=set(MECHANISMS.values()), **policy), tls))

    return start


@pytest.mark.time_limit(120)
@pytest.mark.parametrize("use_tls", [False, True], ids=["sasl_plaintext", "sasl_ssl"])
@pytest.mark.parametrize("mode", sorted(MECHANISMS))
def test_right_credentials_serve_lag(lagging_cluster, fronts, front_tls, scaler, tmp_path, mode, use_tls):
    context, ca = front_tls
    front = fronts(tls=context if use_tls else None, users={"svc-scaler": PASSWORD})
    write_profile(tmp_path / "kafka", sasl=mode, username="svc-scaler", password=PASSWORD,
                  tls="enable" if use_tls else "disable", ca=ca)
    server = scaler("--auth-profiles", str(tmp_path), "--kafka-timeout", "5")
    metadata = trigger(front.bootstrap, "g", "t", authProfile="kafka")
    expected, _ = expected_for(lagging_cluster, "g", "t")
    assert server.get_metrics("right", metadata) == expected == 21
    assert (MECHANISMS[mode], "svc-scaler") in front.counters.successes
    assert not front.counters.failures
    assert_no_secret(server, SECRETS)


@pytest.mark.time_limit(60)
@pytest.mark.parametrize("mode", sorted(MECHANISMS))
def test_wrong_credentials_are_unauthenticated_within_the_deadline(fronts, scaler, mode):
    front = fronts(users={"svc-scaler": PASSWORD})
    # The caller's 2 s deadline is shorter than the Kafka timeout: the answer must still say why.
    server = scaler("--kafka-timeout", "6", "--log-level", "debug")
    metadata = trigger(front.bootstrap, "g", "t", sasl=mode, username="svc-scaler", password=WRONG)
    details = assert_unauthenticated_in_time(server, "wrong", metadata)
    assert failed_message(MECHANISMS[mode]) in details
    assert front.counters.failures and not front.counters.successes
    assert_no_secret(server, SECRETS, details)


@pytest.mark.time_limit(90)
def test_a_fixed_profile_is_used_after_the_failure(fronts, scaler, tmp_path):
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
    assert_no_secret(server, SECRETS)


@pytest.mark.time_limit(60)
def test_a_mechanism_the_broker_does_not_enable_is_unauthenticated(fronts, scaler):
    front = fronts(users={"svc-scaler": PASSWORD})
    front.policy.mechanisms = {"SCRAM-SHA-512"}
    server = scaler("--kafka-timeout", "3")
    metadata = trigger(front.bootstrap, "g", "t", sasl="plaintext", username="svc-scaler", password=PASSWORD)
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("unsupported", metadata)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED, failure.value.details()
    assert "PLAIN" in failure.value.details()
    assert_no_secret(server, SECRETS, failure.value.details())


@pytest.mark.time_limit(90)
@pytest.mark.parametrize("mode", sorted(MECHANISMS))
def test_probe_exercises_each_mechanism(fronts, scaler, binaries, mode):
    front = fronts(users={"svc-scaler": PASSWORD})
    server = scaler("--kafka-timeout", "5")
    metadata = trigger(front.bootstrap, "g", "t", sasl=mode, username="svc-scaler", password=PASSWORD)
    assert_probe_serves(binaries["scaler"], server, metadata, 21, SECRETS)
    assert (MECHANISMS[mode], "svc-scaler") in front.counters.successes
