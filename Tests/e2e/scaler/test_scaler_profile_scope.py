"""Auth-profile scope (issue 11, attack 1): a caller naming a profile cannot send its
credentials to a host of its choosing, downgrade its transport, or use it from another
namespace. Each refusal is PERMISSION_DENIED before any socket opens; a local TCP
listener stands in for the attacker's broker and records every connection."""

import time

import grpc
import pytest

from scaler_harness import AttackerBroker, trigger

SECRET = "pr0d-pa55word-never-sent"


@pytest.fixture
def attacker():
    broker = AttackerBroker()
    yield broker
    broker.close()


@pytest.fixture
def profiles(tmp_path, mock_cluster):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    cluster.set_lags("g", "t", [6])

    def profile(name: str, **files: str):
        directory = tmp_path / name
        directory.mkdir()
        for key, value in files.items():
            (directory / key).write_text(value)

    profile("kafka-prod", username="svc", password=SECRET, sasl="plaintext", allowedBrokers=cluster.bootstrap)
    profile("tls-prod", username="svc", password=SECRET, sasl="scram_sha512", tls="enable", allowedBrokers="127.0.0.1")
    profile("scoped", allowedBrokers="127.0.0.1", allowedNamespaces="team-a, team-b*")
    return tmp_path, cluster


def denied(server, stubs, namespace: str, metadata: dict[str, str], *rules: str) -> None:
    ref = server.ref("victim", metadata, namespace)
    for call in (lambda: server.stub.GetMetricSpec(ref, timeout=5),
                 lambda: server.stub.GetMetrics(stubs.pb.GetMetricsRequest(scaledObjectRef=ref, metricName="kafka-t"), timeout=5),
                 lambda: server.stub.IsActive(ref, timeout=5)):
        with pytest.raises(grpc.RpcError) as failure:
            call()
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED, failure.value
        for rule in rules:
            assert rule in failure.value.details(), failure.value.details()
        assert SECRET not in failure.value.details()


def test_profile_credentials_never_reach_a_broker_outside_allowed_brokers(profiles, attacker, scaler, stubs):
    root, cluster = profiles
    server = scaler("--auth-profiles", str(root))
    stolen = trigger(attacker.address, "g", "t", authProfile="kafka-prod", tls="disable", sasl="plaintext")
    denied(server, stubs, "e2e", stolen, 'auth profile "kafka-prod"', "allowedBrokers", attacker.address)
    # A list that hides the attacker among allowed brokers is refused too.
    mixed = trigger(f"{cluster.bootstrap},{attacker.address}", "g", "t", authProfile="kafka-prod")
    denied(server, stubs, "e2e", mixed, "allowedBrokers")
    time.sleep(1)
    assert attacker.connections == 0 and attacker.received == []
    assert server.registry()["entries"] == []
    assert SECRET not in "".join(server.log_lines)
    assert any("auth profile scope refused a request" in line for line in server.log_lines)


def test_metadata_cannot_downgrade_the_profiles_transport(profiles, attacker, scaler, stubs):
    root, _ = profiles
    server = scaler("--auth-profiles", str(root))
    base = trigger(attacker.address, "g", "t", authProfile="tls-prod")
    denied(server, stubs, "e2e", {**base, "tls": "disable"}, 'auth profile "tls-prod"', 'sets tls "enable"')
    denied(server, stubs, "e2e", {**base, "sasl": "plaintext"}, 'sets sasl "scram_sha512"')
    denied(server, stubs, "e2e", {**base, "ca": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}, "own ca")
    denied(server, stubs, "e2e", {**base, "unsafeSsl": "t"}, "unsafeSsl")
    time.sleep(1)
    assert attacker.connections == 0


def test_profile_is_usable_only_from_its_namespaces(profiles, scaler, stubs):
    root, cluster = profiles
    server = scaler("--auth-profiles", str(root))
    metadata = trigger(cluster, "g", "t", authProfile="scoped")
    assert server.get_metrics("ok", metadata, namespace="team-a") == 6
    assert server.get_metrics("ok", metadata, namespace="team-b-payments") == 6
    denied(server, stubs, "team-c", metadata, 'auth profile "scoped"', 'namespace "team-c"', "allowedNamespaces")
    assert sorted(entry["namespace"] for entry in server.registry()["entries"]) == ["team-a", "team-b-payments"]


def test_profile_files_readable_by_others_are_refused_unless_allowed(profiles, scaler, stubs):
    """Issue 11, attack 6: like ssh with a readable private key, a profile file with o+r
    is refused (FAILED_PRECONDITION naming the profile, key and mode, logged at warning)
    unless --allow-readable-profiles true."""
    root, cluster = profiles
    password = root / "kafka-prod" / "password"
    password.chmod(0o644)
    metadata = trigger(cluster, "g", "t", authProfile="kafka-prod")
    server = scaler("--auth-profiles", str(root))
    with pytest.raises(grpc.RpcError) as failure:
        server.stub.GetMetricSpec(server.ref("so", metadata), timeout=5)
    assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert 'auth profile "kafka-prod" key "password" is readable by others (mode 644)' in failure.value.details()
    assert SECRET not in failure.value.details()
    assert any("auth profile unusable" in line for line in server.log_lines)
    lax = scaler("--auth-profiles", str(root), "--allow-readable-profiles", "true")
    lax.stub.GetMetricSpec(lax.ref("so", metadata), timeout=5)
    password.chmod(0o400)
    strict = scaler("--auth-profiles", str(root))
    strict.stub.GetMetricSpec(strict.ref("so", metadata), timeout=5)
