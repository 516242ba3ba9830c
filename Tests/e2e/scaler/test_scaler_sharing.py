"""Shared connections and coalesced reads: 500 ScaledObjects on one cluster use one
librdkafka handle, and 100 concurrent GetMetrics for one trigger cost one Kafka read."""

import time
from concurrent import futures

import pytest

from scaler_harness import expected_for, trigger, wait_until

GROUP, TOPIC = "shared", "jobs"


def stable_socket_count(server, ports: set[int], settle: float = 1.5) -> int:
    """The process's established sockets to `ports`, once unchanged for `settle` seconds."""
    last, since = server.kafka_sockets(ports), time.monotonic()
    deadline = time.monotonic() + 20
    while time.monotonic() - since < settle:
        assert time.monotonic() < deadline, "socket count never settled"
        time.sleep(0.25)
        now = server.kafka_sockets(ports)
        if now != last:
            last, since = now, time.monotonic()
    return last


@pytest.mark.time_limit(180)
def test_500_scaled_objects_share_one_handle(mock_cluster, scaler):
    cluster = mock_cluster(brokers=3, topics={TOPIC: 6})
    cluster.set_lags(GROUP, TOPIC, [6] * 6, committed=4)
    expected, _ = expected_for(cluster, GROUP, TOPIC)
    server = scaler("--lag-cache-ttl", "0")
    assert server.kafka_sockets(cluster.ports) == 0

    assert server.get_metrics("so-0", trigger(cluster, GROUP, TOPIC)) == expected
    single = stable_socket_count(server, cluster.ports)
    assert single >= 1
    assert server.metric("kafka_scaler_kafka_handles") == 1

    pool = futures.ThreadPoolExecutor(16)
    try:
        values = list(pool.map(lambda i: server.get_metrics(f"so-{i}", trigger(cluster, GROUP, TOPIC)), range(1, 500)))
    finally:
        pool.shutdown()
    assert values == [expected] * 499
    shared = stable_socket_count(server, cluster.ports)

    assert shared == single, f"1 ScaledObject: {single} sockets; 500 ScaledObjects: {shared}"
    assert server.metric("kafka_scaler_kafka_handles") == 1
    assert server.metric("kafka_scaler_registry_entries") == 500
    status = server.registry()
    assert len(status["entries"]) == 500
    assert len(status["connections"]) == 1 and status["connections"][0]["entries"] == 500


def test_100_concurrent_calls_cost_one_observation(mock_cluster, scaler, stubs):
    cluster = mock_cluster(brokers=3, topics={TOPIC: 3})
    cluster.set_lags(GROUP, TOPIC, [7] * 3, committed=2)
    for broker in cluster.broker_ids:  # a slow read, so the calls overlap it
        cluster.command(f"rtt {broker} 300")
    expected, _ = expected_for(cluster, GROUP, TOPIC)
    server = scaler("--lag-cache-ttl", "30")

    def counters():
        return (server.metric("kafka_scaler_observations_total", result="success"),
                server.metric("kafka_scaler_coalesced_waits_total"), server.metric("kafka_scaler_lag_cache_hits_total"))

    observations, waits, hits = counters()
    request = stubs.pb.GetMetricsRequest(scaledObjectRef=server.ref("hot", trigger(cluster, GROUP, TOPIC)), metricName="kafka-jobs")
    calls = [server.stub.GetMetrics.future(request, timeout=30) for _ in range(100)]
    values = [call.result().metricValues[0].metricValue for call in calls]
    assert values == [expected] * 100

    observations2, waits2, hits2 = counters()
    assert observations2 - observations == 1
    assert (waits2 - waits) + (hits2 - hits) == 99, (waits2 - waits, hits2 - hits)
    assert waits2 - waits >= 1  # with a 300 ms round trip some calls did join the read
    assert server.metric("kafka_scaler_observations_total", result="failure") == 0
    wait_until(lambda: server.entry("hot")["lastEvaluation"] is not None, 5, "last evaluation recorded")
