"""Shadow rollout of a version bump (`rollout: shadow`): the bumped source is read beside
the pinned one and pinned only after `rolloutObservations` consecutive successful reads.
Clusters A and B hold different lag for the same group and topic, as in test_scaler_registry."""

import subprocess
import time

import grpc
import pytest

from scaler.test_scaler_registry import NAME, brokers, clusters, source  # noqa: F401 (clusters is a fixture)
from scaler_harness import wait_until


def shadow(cluster, version: int, observations: int) -> dict[str, str]:
    return {**source(cluster, version), "rollout": "shadow", "rolloutObservations": str(observations)}


def rollout_gauge(server) -> float:
    return server.metric("kafka_scaler_rollout_state", namespace="e2e", scaledobject=NAME, trigger="")


def progress(server) -> tuple[int, int] | None:
    """(observations, failed reads) of the entry's candidate: every candidate read changes it."""
    candidate = server.entry(NAME)["candidate"]
    return None if candidate is None else (candidate["observations"], candidate["failedReads"])


def call_and_wait_for_candidate_read(server, metadata, expected: int) -> None:
    """One GetMetrics (a new observation of the pin: the lag cache is off), answered with
    `expected`; then waits until the candidate read it started has finished (a candidate
    no read has finished for yet shows (0, 0))."""
    before = progress(server)
    assert server.get_metrics(NAME, metadata) == expected
    wait_until(lambda: progress(server) not in (before, (0, 0)), 15, "the candidate read of this observation")


def events(server) -> list[str]:
    return [event["event"] for event in server.history(NAME)]


def test_shadow_bump_to_a_good_cluster_takes_exactly_n_reads_then_swaps(clusters, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, source(a, 1)) == a_metric
    rollouts = server.metric("kafka_scaler_registry_swaps_total", reason="rollout")
    bump = shadow(b, 2, observations=3)

    call_and_wait_for_candidate_read(server, bump, a_metric)
    entry = server.entry(NAME)
    candidate = entry["candidate"]
    assert (entry["pinned"]["version"], entry["pinned"]["brokers"]) == (1, brokers(a))
    assert (candidate["version"], candidate["brokers"], candidate["state"]) == (2, brokers(b), "in_progress")
    assert (candidate["observations"], candidate["required"], candidate["failedReads"]) == (1, 3, 0)
    assert candidate["lastEvaluation"]["totalLag"] == b_metric and entry["lastEvaluation"]["totalLag"] == a_metric
    assert candidate["fingerprint"] != entry["pinned"]["fingerprint"] and candidate["since"]
    assert rollout_gauge(server) == 1

    call_and_wait_for_candidate_read(server, bump, a_metric)
    assert server.entry(NAME)["candidate"]["observations"] == 2
    call_and_wait_for_candidate_read(server, bump, a_metric)  # the third read pins B
    entry = server.entry(NAME)
    assert entry["candidate"] is None
    assert (entry["pinned"]["version"], entry["pinned"]["brokers"]) == (2, brokers(b))
    assert server.metric("kafka_scaler_registry_swaps_total", reason="rollout") == rollouts + 1
    assert rollout_gauge(server) == 0
    assert server.get_metrics(NAME, bump) == b_metric

    history = server.history(NAME)
    assert [e["event"] for e in history] == [
        "pinned", "rollout_started", "rollout_progressed", "rollout_progressed", "rollout_completed"]
    assert [e["message"] for e in history[2:4]] == ["observation 1 of 3", "observation 2 of 3"]
    completed = history[-1]
    assert (completed["reason"], completed["fromVersion"], completed["version"]) == ("rollout", 1, 2)
    assert completed["fromFingerprint"] == history[0]["fingerprint"]


@pytest.mark.time_limit(180)
def test_shadow_bump_to_a_down_cluster_is_held_then_swaps_once_it_is_up(clusters, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "2")
    assert server.get_metrics(NAME, source(a, 1)) == a_metric
    b.down_all()
    bump = shadow(b, 2, observations=2)

    call_and_wait_for_candidate_read(server, bump, a_metric)
    entry = server.entry(NAME)
    candidate = entry["candidate"]
    assert candidate["state"] == "held" and candidate["failedReads"] == 1 and candidate["observations"] == 0
    assert candidate["lastError"] and candidate["lastEvaluation"] is None
    assert (entry["state"], entry["pinned"]["version"], entry["pinned"]["brokers"]) == ("ready", 1, brokers(a))
    assert rollout_gauge(server) == 2
    call_and_wait_for_candidate_read(server, bump, a_metric)  # still held, still served from A
    assert server.entry(NAME)["candidate"]["failedReads"] == 2
    held_lines = [line for line in server.log_lines if "shadow rollout held" in line]
    assert len(held_lines) == 1 and '"warning"' in held_lines[0], held_lines

    b.up_all()
    deadline = time.monotonic() + 90
    while server.entry(NAME)["candidate"] is not None:
        assert time.monotonic() < deadline, server.entry(NAME)
        call_and_wait_for_candidate_read(server, bump, a_metric)
    assert server.entry(NAME)["pinned"]["brokers"] == brokers(b)
    assert server.get_metrics(NAME, bump) == b_metric
    assert rollout_gauge(server) == 0
    kinds = events(server)
    assert kinds[:3] == ["pinned", "rollout_started", "rollout_held"]
    # After the last failure: exactly one successful read short of N, then the swap.
    assert kinds[-2:] == ["rollout_progressed", "rollout_completed"]


def test_pinned_cluster_dies_mid_rollout_the_candidate_serves_within_the_call(clusters, scaler, binaries):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "3")
    assert server.get_metrics(NAME, source(a, 1)) == a_metric
    bump = shadow(b, 2, observations=10)
    call_and_wait_for_candidate_read(server, bump, a_metric)

    # `probe --ops-address` shows both sources' lag while the rollout is under way.
    cli = subprocess.run(
        [str(binaries["scaler"]), "probe", "--address", server.address, "--ops-address", server.ops_address,
         "--name", NAME, "--namespace", "e2e", "--timeout", "10", *[f"--metadata={k}={v}" for k, v in bump.items()]],
        capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert f"metricValue={a_metric}" in cli.stdout
    rollout = next(line for line in cli.stdout.splitlines() if "rollout to v2" in line)
    assert f"candidate lag {b_metric} / metric {b_metric} active" in rollout, cli.stdout
    assert f"pinned v1 lag {a_metric} / metric {a_metric} active" in rollout, cli.stdout

    failures = server.metric("kafka_scaler_registry_swaps_total", reason="failure")
    a.down_all()
    started = time.monotonic()
    assert server.get_metrics(NAME, bump, timeout=10) == b_metric
    assert time.monotonic() - started < 10
    entry = server.entry(NAME)
    assert (entry["pinned"]["version"], entry["pinned"]["brokers"], entry["candidate"]) == (2, brokers(b), None)
    assert server.metric("kafka_scaler_registry_swaps_total", reason="failure") == failures + 1
    assert rollout_gauge(server) == 0
    assert events(server)[-3:] == ["failure", "swap", "recovered"]
    assert server.history(NAME)[-2]["reason"] == "failure"


def test_reload_forces_a_held_candidate_in_and_a_further_bump_restarts(clusters, mock_cluster, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "2")
    assert server.get_metrics(NAME, source(a, 1)) == a_metric
    b.down_all()
    call_and_wait_for_candidate_read(server, shadow(b, 2, observations=2), a_metric)
    assert server.entry(NAME)["candidate"]["state"] == "held"

    # A further bump starts a fresh rollout (to A's brokers under another group: a new source).
    restarted = {**shadow(a, 3, observations=2), "consumerGroup": "other"}
    call_and_wait_for_candidate_read(server, restarted, a_metric)
    candidate = server.entry(NAME)["candidate"]
    assert (candidate["version"], candidate["group"], candidate["state"], candidate["failedReads"]) == (3, "other", "in_progress", 0)

    # The operator forces the candidate in.
    reloads = server.metric("kafka_scaler_registry_swaps_total", reason="reload")
    assert server.http("POST", f"/registry/reload?namespace=e2e&name={NAME}")[0] == 200
    entry = server.entry(NAME)
    assert (entry["pinned"]["version"], entry["pinned"]["group"], entry["candidate"]) == (3, "other", None)
    assert server.metric("kafka_scaler_registry_swaps_total", reason="reload") == reloads + 1
    assert rollout_gauge(server) == 0
    assert events(server) == ["pinned", "rollout_started", "rollout_held", "rollout_started", "rollout_progressed", "swap"]
    assert server.history(NAME)[-1]["reason"] == "reload"


def test_rollout_keys_are_validated(clusters, scaler):
    a, _, _, _ = clusters
    server = scaler()
    for changes, message in [
        ({"rollout": "gradual"}, 'invalid "rollout" value "gradual": must be immediate or shadow'),
        ({"rollout": "shadow", "rolloutObservations": "0"}, 'invalid "rolloutObservations" value "0": must be an integer from 1 to 100'),
    ]:
        with pytest.raises(grpc.RpcError) as failure:
            server.get_metrics(NAME, {**source(a, 1), **changes})
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert failure.value.details() == message
    assert server.registry()["entries"] == []
