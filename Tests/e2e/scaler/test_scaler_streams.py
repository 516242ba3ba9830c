"""StreamIsActive: pushes activity within pushInterval + 1 s of lag appearing, and
ends with UNAVAILABLE when the server is stopped with SIGTERM (exit 0)."""

import queue
import threading
import time

import grpc
import pytest

from scaler_harness import trigger

GROUP, TOPIC = "idle", "signals"


def open_stream(server, name: str, metadata: dict[str, str]):
    """Starts StreamIsActive; returns (call, queue of (monotonic time, message | RpcError | None at end))."""
    call = server.stub.StreamIsActive(server.ref(name, metadata))
    received: queue.Queue = queue.Queue()

    def pump():
        try:
            for message in call:
                received.put((time.monotonic(), message.result))
            received.put((time.monotonic(), None))
        except grpc.RpcError as error:
            received.put((time.monotonic(), error))

    threading.Thread(target=pump, daemon=True).start()
    return call, received


# The lag cache TTL (default 2 s) must not stretch the check interval: a stream checks
# Kafka every pushInterval even when observations are otherwise reused for longer.
@pytest.mark.parametrize("push_interval,lag_cache_ttl", [(1, "2"), (2, "2"), (1, "30")])
def test_stream_pushes_true_when_lag_appears(mock_cluster, scaler, push_interval, lag_cache_ttl):
    cluster = mock_cluster(brokers=1, topics={TOPIC: 2})
    cluster.set_lags(GROUP, TOPIC, [0, 0], committed=5)  # caught up: no lag
    server = scaler("--lag-cache-ttl", lag_cache_ttl)
    call, received = open_stream(server, "pusher", trigger(cluster, GROUP, TOPIC, pushInterval=push_interval))
    try:
        _, first = received.get(timeout=10)
        assert first is False

        cluster.produce(TOPIC, 1, 3)
        lag_appeared = time.monotonic()
        at, message = received.get(timeout=push_interval + 5)
        assert message is True
        assert at - lag_appeared <= push_interval + 1, f"pushed {at - lag_appeared:.2f} s after the lag appeared"
    finally:
        call.cancel()


def test_stream_stays_open_through_an_outage(mock_cluster, scaler):
    """DESIGN.md §4: a stream pushes nothing while Kafka fails and resumes once it answers."""
    cluster = mock_cluster(brokers=2, topics={TOPIC: 2})
    cluster.set_lags(GROUP, TOPIC, [0, 0], committed=5)
    server = scaler("--kafka-timeout", "1")
    call, received = open_stream(server, "outage", trigger(cluster, GROUP, TOPIC, pushInterval=1))
    try:
        _, first = received.get(timeout=10)
        assert first is False
        cluster.down_all()
        with pytest.raises(queue.Empty):
            received.get(timeout=5)  # neither a message nor the end of the stream
        cluster.up_all()
        cluster.produce(TOPIC, 0, 2)  # the mock's producer needs the brokers up
        _, message = received.get(timeout=30)
        assert message is True
        assert server.metric("kafka_scaler_observations_total", result="failure") >= 1
    finally:
        call.cancel()


def test_stream_metric_spec_follows_a_version_swap(mock_cluster, scaler):
    """StreamMetricSpec sends the spec at once, and again when a configVersion bump pins a
    source with another topic (the metric name follows the pinned source)."""
    cluster = mock_cluster(brokers=1, topics={"first": 1, "second": 1})
    server = scaler()
    metadata = trigger(cluster, GROUP, "first", pushInterval=1, lagThreshold=7)
    call = server.stub.StreamMetricSpec(server.ref("specs", metadata), timeout=30)
    try:
        first = next(call)
        assert [(m.metricName, m.targetSize) for m in first.metricSpecs] == [("kafka-first", 7)]
        server.stub.GetMetricSpec(server.ref("specs", trigger(cluster, GROUP, "second", configVersion=1, lagThreshold=7)), timeout=5)
        swapped = time.monotonic()
        second = next(call)
        assert [(m.metricName, m.targetSize) for m in second.metricSpecs] == [("kafka-second", 7)]
        assert time.monotonic() - swapped <= 2
    finally:
        call.cancel()


def test_sigterm_ends_open_stream_with_unavailable(mock_cluster, scaler):
    cluster = mock_cluster(brokers=1, topics={TOPIC: 1})
    cluster.produce(TOPIC, 0, 4)
    server = scaler("--shutdown-grace", "10")
    call, received = open_stream(server, "shutdown", trigger(cluster, GROUP, TOPIC, pushInterval=1))
    _, first = received.get(timeout=10)
    assert first is True  # uncommitted partition under latest: lag 1

    stopped = time.monotonic()
    exit_code = server.terminate(timeout=20)
    assert exit_code == 0, "".join(server.log_lines[-20:])
    while True:
        _, item = received.get(timeout=15)
        if not isinstance(item, bool):
            break
    assert isinstance(item, grpc.RpcError), f"stream ended with {item!r}, not an error status"
    assert item.code() == grpc.StatusCode.UNAVAILABLE, item
    assert time.monotonic() - stopped < 15
