"""The versioned connection registry (DESIGN.md §4) with two clusters A and B holding
different lag for the same group and topic: drift, version bumps, stale versions,
failover to a pending source, outages and reload."""

import json
import subprocess
import threading
import time

import grpc
import pytest

from scaler_harness import expected_for, read_offsets, trigger, wait_until

GROUP, TOPIC, NAME = "billing", "events", "billing-consumer"
THRESHOLD = 1000  # no cap: the metric is the total lag


@pytest.fixture
def clusters(mock_cluster):
    """A: 2 brokers, lag 8 + 12; B: 1 broker, lag 40 + 35. Returns (A, B, A's metric, B's metric)."""
    a = mock_cluster(brokers=2, topics={TOPIC: 2})
    b = mock_cluster(brokers=1, topics={TOPIC: 2})
    a.set_lags(GROUP, TOPIC, [8, 12], committed=5)
    b.set_lags(GROUP, TOPIC, [40, 35], committed=5)
    a_metric, _ = expected_for(a, GROUP, TOPIC, lag_threshold=THRESHOLD)
    b_metric, _ = expected_for(b, GROUP, TOPIC, lag_threshold=THRESHOLD)
    assert (a_metric, b_metric) == (20, 75)
    return a, b, a_metric, b_metric


def source(cluster, version: int) -> dict[str, str]:
    return trigger(cluster, GROUP, TOPIC, lagThreshold=THRESHOLD, configVersion=version)


def brokers(cluster) -> list[str]:
    return cluster.bootstrap.split(",")


def pending_gauge(server) -> float:
    return server.metric("kafka_scaler_registry_pending", namespace="e2e", scaledobject=NAME, trigger="")


def test_drift_then_version_bump_then_stale_version(clusters, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0")

    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(a) and entry["pinned"]["version"] == 0
    assert entry["pending"] is None

    # A→B without a version bump: still A's values; the drift is visible.
    assert server.get_metrics(NAME, source(b, 0)) == a_metric
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(a)
    assert entry["pending"] is not None
    assert entry["pending"]["brokers"] == brokers(b) and entry["pending"]["since"]
    assert pending_gauge(server) == 1

    # The bump swaps to B at once.
    swaps = server.metric("kafka_scaler_registry_swaps_total", reason="version")
    assert server.get_metrics(NAME, source(b, 1)) == b_metric
    assert server.metric("kafka_scaler_registry_swaps_total", reason="version") == swaps + 1
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(b) and entry["pinned"]["version"] == 1
    assert entry["pending"] is None
    assert pending_gauge(server) == 0

    # A lower version is stale: B's values, no pending, no swap.
    assert server.get_metrics(NAME, source(a, 0)) == b_metric
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(b) and entry["pinned"]["version"] == 1
    assert entry["pending"] is None
    assert server.metric("kafka_scaler_registry_swaps_total", reason="version") == swaps + 1


def test_pinned_cluster_down_with_pending_fails_over_within_the_call(clusters, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "3")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    assert server.get_metrics(NAME, source(b, 0)) == a_metric
    assert server.entry(NAME)["pending"]["brokers"] == brokers(b)
    failures = server.metric("kafka_scaler_registry_swaps_total", reason="failure")

    a.down_all()
    started = time.monotonic()
    assert server.get_metrics(NAME, source(b, 0), timeout=10) == b_metric
    assert time.monotonic() - started < 10
    assert server.metric("kafka_scaler_registry_swaps_total", reason="failure") == failures + 1
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(b) and entry["pending"] is None
    assert pending_gauge(server) == 0


def test_outage_without_pending_errors_within_deadline_then_recovers(clusters, scaler):
    a, _, a_metric, _ = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "2")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    rebuilds = server.metric("kafka_scaler_connection_rebuilds_total")

    a.down_all()
    outage_started = time.monotonic()
    deadline = 3.0
    while time.monotonic() - outage_started < 12:
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as failure:
            server.get_metrics(NAME, source(a, 0), timeout=deadline)
        assert failure.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), failure.value
        assert time.monotonic() - started < deadline + 0.5
        time.sleep(0.2)
    entry = server.entry(NAME)
    assert entry["state"] in ("failing", "backoff") and entry["lastError"]
    assert entry["pinned"]["brokers"] == brokers(a)

    a.up_all()

    def recovered():
        try:
            return server.get_metrics(NAME, source(a, 0), timeout=deadline) == a_metric
        except grpc.RpcError:
            time.sleep(0.5)
            return False

    wait_until(recovered, 60, "values from A after its brokers came back")
    outage = time.monotonic() - outage_started
    rebuilt = server.metric("kafka_scaler_connection_rebuilds_total") - rebuilds
    # Backoff 1 s doubling: ~log2(outage) rebuilds, never one per call.
    assert 1 <= rebuilt <= 6, (rebuilt, outage)
    assert server.entry(NAME)["state"] == "ready"
    server.assert_alive()


def test_reload_adopts_the_pending_source(clusters, scaler):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    assert server.get_metrics(NAME, source(b, 0)) == a_metric
    reloads = server.metric("kafka_scaler_registry_swaps_total", reason="reload")

    status, body = server.http("POST", f"/registry/reload?namespace=e2e&name={NAME}")
    assert status == 200, body
    assert server.metric("kafka_scaler_registry_swaps_total", reason="reload") == reloads + 1
    entry = server.entry(NAME)
    assert entry["pinned"]["brokers"] == brokers(b) and entry["pending"] is None
    assert pending_gauge(server) == 0
    assert server.get_metrics(NAME, source(b, 0)) == b_metric

    status, _ = server.http("POST", "/registry/reload?namespace=e2e&name=nobody")
    assert status == 404
    status, _ = server.http("POST", "/registry/reload?namespace=e2e")
    assert status == 400


def test_persistent_lag_state_advances_once_per_observation_and_drops_on_swap(mock_cluster, scaler):
    """excludePersistentLag (KEDA §4.2 step 5): an offset unchanged since the previous
    observation counts 0 in the metric but still activates; a cached observation reused by
    the round's second call does not advance the state; a configVersion swap drops it."""
    cluster = mock_cluster(brokers=1, topics={TOPIC: 2})
    cluster.set_lags(GROUP, TOPIC, [5, 7], committed=1)
    end, committed = read_offsets(cluster.bootstrap, GROUP, TOPIC)
    assert (end, committed) == ({0: 6, 1: 8}, {0: 1, 1: 1})

    def metadata(version: int) -> dict[str, str]:
        return trigger(cluster, GROUP, TOPIC, lagThreshold=THRESHOLD, excludePersistentLag=True, configVersion=version)

    cached = scaler("--lag-cache-ttl", "3600")
    assert [cached.get_metrics("cached", metadata(0)) for _ in range(3)] == [12, 12, 12]

    server = scaler("--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, metadata(0)) == 12  # first observation: nothing is persistent yet
    _, values, active = server.round(NAME, metadata(0))
    assert values[0].metricValue == 0 and active is True  # unchanged offsets: excluded from the metric only
    cluster.commit(GROUP, TOPIC, 0, 3)
    assert server.get_metrics(NAME, metadata(0)) == 3  # partition 0 moved (6-3); partition 1 still persistent
    assert server.get_metrics(NAME, metadata(1)) == 10  # the swap dropped the state: 3 + 7
    assert server.metric("kafka_scaler_registry_swaps_total", reason="version") == 1


def test_version_takeover_is_bounded_and_loud(clusters, scaler):
    """Issue 11, attack 3 (the part metadata can close): a caller bumping another trigger's
    configVersion to Int64.max is refused; a jump of more than 1,000 still swaps (KEDA's
    own requests may do that) but is logged at warning."""
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    for huge in ("9223372036854775807", "1000000001"):
        with pytest.raises(grpc.RpcError) as failure:
            server.get_metrics(NAME, {**source(b, 0), "configVersion": huge})
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "must be an integer from 0 to 1000000000" in failure.value.details()
    assert server.entry(NAME)["pinned"]["version"] == 0
    assert server.get_metrics(NAME, source(b, 5000)) == b_metric
    warnings = [line for line in server.log_lines if "configVersion jumped by more than 1000" in line]
    assert len(warnings) == 1 and '"to_version":"5000"' in warnings[0], warnings
    assert server.get_metrics(NAME, source(a, 5001)) == a_metric
    assert len([line for line in server.log_lines if "configVersion jumped" in line]) == 1


def test_a_callers_short_deadline_does_not_fail_a_shared_read(clusters, scaler):
    """Issue 13: a coalesced read ran under the first caller's deadline, and its timeout
    counted as a failure of the source (re-resolve, connection rebuild, joined callers
    failed). Shared reads run on --kafka-timeout; a caller's deadline ends only its wait."""
    a, _, a_metric, _ = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "6")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    for broker in a.broker_ids:
        a.command(f"rtt {broker} 1500")
    rebuilds = server.metric("kafka_scaler_connection_rebuilds_total")
    impatient: list = []

    def start_the_read():
        try:
            server.get_metrics(NAME, source(a, 0), timeout=0.8)
        except grpc.RpcError as error:
            impatient.append(error.code())

    first = threading.Thread(target=start_the_read)
    first.start()
    time.sleep(0.3)  # the impatient caller's read is in flight; this one joins it
    assert server.get_metrics(NAME, source(a, 0), timeout=15) == a_metric
    first.join(10)
    assert impatient == [grpc.StatusCode.DEADLINE_EXCEEDED]
    assert server.metric("kafka_scaler_connection_rebuilds_total") == rebuilds
    entry = server.entry(NAME)
    assert entry["state"] == "ready" and not entry["lastError"], entry
    for broker in a.broker_ids:
        a.command(f"rtt {broker} 0")


@pytest.mark.time_limit(90)
def test_history_tells_each_change_in_order(clusters, scaler, binaries):
    a, b, a_metric, b_metric = clusters
    server = scaler("--lag-cache-ttl", "0", "--kafka-timeout", "2")
    assert server.get_metrics(NAME, source(a, 0)) == a_metric
    assert server.get_metrics(NAME, source(b, 0)) == a_metric  # drift
    assert server.get_metrics(NAME, source(b, 1)) == b_metric  # swap by version
    assert server.get_metrics(NAME, source(a, 0)) == b_metric  # stale
    b.down_all()
    for _ in range(3):  # one outage, however many failed reads
        with pytest.raises(grpc.RpcError):
            server.get_metrics(NAME, source(b, 1), timeout=5)
    b.up_all()
    wait_until(lambda: server.get_metrics(NAME, source(b, 1)) == b_metric, 30, "B answers again")
    assert server.http("POST", f"/registry/reload?namespace=e2e&name={NAME}")[0] == 200

    status, body = server.http("GET", f"/registry/history?namespace=e2e&name={NAME}")
    assert status == 200, body
    (entry,) = json.loads(body)["entries"]
    events = entry["events"]
    assert [e["event"] for e in events] == ["pinned", "drift", "swap", "stale", "failure", "recovered", "swap"]
    fingerprints = {e["event"] + str(i): e["fingerprint"] for i, e in enumerate(events)}
    assert events[2]["fromFingerprint"] == events[0]["fingerprint"] == fingerprints["pinned0"]
    assert events[2]["fingerprint"] == events[1]["fingerprint"]  # the drifted source became the pin
    assert (events[2]["reason"], events[2]["fromVersion"], events[2]["version"]) == ("version", 0, 1)
    assert events[4]["message"] and events[6]["reason"] == "reload"
    assert events[6]["fingerprint"] == server.entry(NAME)["pinned"]["fingerprint"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)

    cli = subprocess.run([str(binaries["scaler"]), "registry", "history", "--ops-address", server.ops_address,
                          "--namespace", "e2e", "--name", NAME], capture_output=True, text=True, timeout=30)
    assert cli.returncode == 0, cli.stderr
    lines = cli.stdout.splitlines()
    assert lines[0] == f"e2e/{NAME}:" and len(lines) == 1 + len(events)
    assert "swap" in lines[3] and "(version)" in lines[3] and f"v0 {events[0]['fingerprint']} -> v1" in lines[3]

    assert server.http("GET", "/registry/history?namespace=e2e")[0] == 400
    assert server.http("GET", "/registry/history?namespace=e2e&name=nobody")[0] == 404
