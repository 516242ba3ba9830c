"""A pinned cluster fails, the registry moves away from it (failure swap, reload) or
shuts down, and then the cluster comes back (issue 12).

librdkafka 2.0.2 aborts (`rd_kafka_enq_once_del_source_return: Assertion
'eonce->refcnt > 0'` on rdk:main) when an admin ListConsumerGroupOffsets request times
out while it waits for the group coordinator, and the coordinator becomes reachable
later on the same handle. The failed cluster's handle stays pooled (idle) after the
registry swaps away from it, so its coming back is exactly that moment. Each test ends
with the failed cluster up again and checks that the process is still serving.
"""

import threading
import time

import grpc

from scaler_harness import trigger

GROUP, TOPIC, NAME = "orders", "events", "orders-consumer"
THRESHOLD = 1000  # no cap: the metric is the total lag
RECONNECT_WAIT = 8  # seconds for the recovered cluster's idle handle to reconnect (reconnect backoff ≤ 2 s)


def clusters(mock_cluster):
    """A: 1 broker, lag 8 + 12; B: 1 broker, lag 40 + 35."""
    a = mock_cluster(brokers=1, topics={TOPIC: 2})
    b = mock_cluster(brokers=1, topics={TOPIC: 2})
    a.set_lags(GROUP, TOPIC, [8, 12], committed=5)
    b.set_lags(GROUP, TOPIC, [40, 35], committed=5)
    return a, b


def source(cluster, version: int = 0) -> dict[str, str]:
    return trigger(cluster, GROUP, TOPIC, lagThreshold=THRESHOLD, configVersion=version)


def pin_a_with_b_pending(server, a, b) -> None:
    assert server.get_metrics(NAME, source(a)) == 20
    assert server.get_metrics(NAME, source(b)) == 20  # drift: B pending


def outage_read_in_flight(server, a, b, settle: float) -> threading.Thread:
    """A pinned with B pending, A down, and a GetMetrics waiting on A (for `settle` seconds
    so far) on a thread of its own."""
    pin_a_with_b_pending(server, a, b)
    a.down_all()
    reading = threading.Thread(target=lambda: _ignore_rpc_error(server, source(b)), daemon=True)
    reading.start()
    time.sleep(settle)
    return reading


def keeps_serving(server, metadata: dict[str, str], expected: int, seconds: float = RECONNECT_WAIT) -> None:
    """Serves `expected` from `metadata` every half second for `seconds`, and is alive at the end."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        server.assert_alive()
        assert server.get_metrics(NAME, metadata, timeout=10) == expected
        time.sleep(0.5)
    server.assert_alive()


def test_failed_cluster_recovers_after_a_failure_swap(mock_cluster, scaler):
    """The issue's scenario (release or debug binary alike), then cluster A comes back."""
    a, b = clusters(mock_cluster)
    server = scaler("--kafka-timeout", "2")
    pin_a_with_b_pending(server, a, b)
    a.down_all()
    time.sleep(2.5)  # past the lag-cache TTL
    assert server.get_metrics(NAME, source(b), timeout=15) == 75
    assert server.metric("kafka_scaler_registry_swaps_total", reason="failure") == 1
    a.up_all()
    keeps_serving(server, source(b), 75)


def test_failed_cluster_recovers_after_a_reload_during_its_failing_read(mock_cluster, scaler):
    a, b = clusters(mock_cluster)
    server = scaler("--kafka-timeout", "2", "--lag-cache-ttl", "0")
    failing = outage_read_in_flight(server, a, b, settle=0.5)  # waiting for A's coordinator
    status, body = server.http("POST", f"/registry/reload?namespace=e2e&name={NAME}")
    assert status == 200, body
    failing.join(15)
    assert server.entry(NAME)["pinned"]["brokers"] == b.bootstrap.split(",")
    a.up_all()
    keeps_serving(server, source(b), 75)


def test_failed_cluster_recovers_after_a_version_swap_away(mock_cluster, scaler):
    a, b = clusters(mock_cluster)
    server = scaler("--kafka-timeout", "2", "--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, source(a)) == 20
    a.down_all()
    _ignore_rpc_error(server, source(a))  # fails: A is down, nothing pending
    assert server.get_metrics(NAME, source(b, version=1)) == 75
    a.up_all()
    keeps_serving(server, source(b, version=1), 75)


def test_failed_cluster_recovers_while_still_pinned(mock_cluster, scaler):
    """Nothing pending: the entry keeps failing through A until A is back, then serves A."""
    a, _ = clusters(mock_cluster)
    server = scaler("--kafka-timeout", "1", "--lag-cache-ttl", "0")
    assert server.get_metrics(NAME, source(a)) == 20
    a.down_all()
    for _ in range(3):
        _ignore_rpc_error(server, source(a), timeout=2)
    a.up_all()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if server.get_metrics(NAME, source(a), timeout=3) == 20:
                break
        except grpc.RpcError:
            time.sleep(0.5)
    keeps_serving(server, source(a), 20)


def test_shutdown_during_an_outage_read_then_the_cluster_comes_back(mock_cluster, scaler):
    a, b = clusters(mock_cluster)
    server = scaler("--kafka-timeout", "3", "--lag-cache-ttl", "0")
    failing = outage_read_in_flight(server, a, b, settle=1)
    a.up_all()  # A comes back while the process drains
    assert server.terminate(timeout=30) == 0
    failing.join(15)


def _ignore_rpc_error(server, metadata: dict[str, str], timeout: float = 15) -> None:
    try:
        server.get_metrics(NAME, metadata, timeout=timeout)
    except grpc.RpcError:
        pass
