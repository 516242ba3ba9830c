"""A KEDA round (GetMetricSpec, GetMetrics, IsActive with the same ref) on 1, 3 and 50
partitions, checked against an independent kafka-python reading and KEDA's lag rules."""

import random

import grpc
import pytest

from scaler_harness import expected_for, keda_expectation, read_offsets, trigger

GROUP = "workers"


def populate(cluster, topic: str, partitions: int, seed: int, uncommitted: int) -> None:
    """Messages on every partition (some empty); the group commits somewhere in each log
    except on every `uncommitted`-th partition (counted from the last one; 0: none), where
    the offsetResetPolicy rules apply."""
    rng = random.Random(seed)
    for partition in range(partitions):
        produced = rng.choice([0, rng.randint(1, 40), rng.randint(1, 40)])
        cluster.produce(topic, partition, produced)
        if not uncommitted or (partitions - 1 - partition) % uncommitted:
            cluster.commit(GROUP, topic, partition, rng.randint(0, produced))


# (partitions, uncommitted every, lagThreshold, activationLagThreshold, offsetResetPolicy, allowIdleConsumers)
CASES = [
    (1, 0, 10, 0, "latest", False),
    (1, 1, 5, 1000, "earliest", False),  # no committed offset at all: the whole log is lag
    (1, 1, 5, 0, "latest", False),  # no committed offset at all: lag 1
    (3, 2, 10, 0, "latest", False),
    (3, 3, 3, 0, "earliest", False),  # small threshold: the partition-count cap applies
    (3, 3, 3, 0, "earliest", True),  # allowIdleConsumers: no cap
    (50, 4, 7, 100, "latest", False),
    (50, 4, 1000, 100000, "earliest", False),  # activation above the total: inactive
]


@pytest.mark.parametrize("partitions,uncommitted,threshold,activation,policy,allow_idle", CASES)
def test_keda_round_matches_kafka_python(mock_cluster, scaler, partitions, uncommitted, threshold, activation, policy, allow_idle):
    cluster = mock_cluster(brokers=3, topics={"orders": partitions})
    populate(cluster, "orders", partitions, seed=partitions * 1000 + threshold, uncommitted=uncommitted)
    server = scaler()
    metadata = trigger(cluster, GROUP, "orders", lagThreshold=threshold, activationLagThreshold=activation,
                       offsetResetPolicy=policy, allowIdleConsumers=allow_idle)
    end, committed = read_offsets(cluster.bootstrap, GROUP, "orders")
    without_commit = len(range(partitions - 1, -1, -uncommitted)) if uncommitted else 0
    assert (len(end), partitions - len(committed)) == (partitions, without_commit)

    expected_metric, expected_active = keda_expectation(end, committed, lag_threshold=threshold, activation=activation,
                                                        policy=policy, allow_idle=allow_idle)
    spec, values, active = server.round("orders-consumer", metadata)

    assert spec.metricName == "kafka-orders"
    assert (spec.targetSize, spec.targetSizeFloat) == (threshold, float(threshold))
    assert len(values) == 1
    assert values[0].metricName == "kafka-orders"
    assert (values[0].metricValue, values[0].metricValueFloat) == (expected_metric, float(expected_metric))
    assert active is expected_active
    entry = server.entry("orders-consumer")
    assert entry["lastEvaluation"]["metric"] == expected_metric
    assert entry["state"] == "ready"


def test_round_costs_one_observation(mock_cluster, scaler):
    """GetMetrics then IsActive on the same ref is served from one Kafka read."""
    cluster = mock_cluster(brokers=3, topics={"orders": 3})
    populate(cluster, "orders", 3, seed=7, uncommitted=2)
    server = scaler()
    before = server.metric("kafka_scaler_observations_total", result="success")
    server.round("one-read", trigger(cluster, GROUP, "orders"))
    assert server.metric("kafka_scaler_observations_total", result="success") - before == 1
    assert server.metric("kafka_scaler_lag_cache_hits_total") >= 1


def test_uncommitted_partitions_under_latest_and_earliest(mock_cluster, scaler):
    """No committed offset: latest counts 1 per partition, earliest counts the whole log,
    scaleToZeroOnInvalidOffset counts 0; all agree with the kafka-python reading."""
    cluster = mock_cluster(brokers=3, topics={"fresh": 3})
    for partition, count in enumerate([5, 0, 12]):
        cluster.produce("fresh", partition, count)
    end, committed = read_offsets(cluster.bootstrap, "nobody", "fresh")
    assert committed == {} and end == {0: 5, 1: 0, 2: 12}
    server = scaler("--lag-cache-ttl", "0")
    for policy, scale_to_zero, metric, active in [("latest", False, 3, True), ("earliest", False, 17, True),
                                                  ("latest", True, 0, False), ("earliest", True, 0, False)]:
        assert keda_expectation(end, committed, policy=policy, scale_to_zero=scale_to_zero, allow_idle=True) == (metric, active)
        metadata = trigger(cluster, "nobody", "fresh", offsetResetPolicy=policy, scaleToZeroOnInvalidOffset=scale_to_zero,
                           allowIdleConsumers=True)
        _, values, is_active = server.round(f"fresh-{policy}-{scale_to_zero}", metadata)
        assert (values[0].metricValue, is_active) == (metric, active), (policy, scale_to_zero)


def test_lag_threshold_applies_from_the_request(mock_cluster, scaler):
    """Scaling parameters are per request: a new lagThreshold changes the cap at once,
    from the same cached observation."""
    cluster = mock_cluster(brokers=1, topics={"t": 2})
    cluster.set_lags(GROUP, "t", [30, 30])
    server = scaler("--lag-cache-ttl", "3600")
    assert server.get_metrics("so", trigger(cluster, GROUP, "t", lagThreshold=100)) == 60
    assert server.get_metrics("so", trigger(cluster, GROUP, "t", lagThreshold=10)) == 20  # 60/10 = 6 > 2 → 2×10
    assert server.metric("kafka_scaler_observations_total", result="success") == 1


@pytest.mark.parametrize("lags,threshold,metric", [
    ((12, 12, 11), 10, 35),  # 35/10 = 3, not > 3 partitions: uncapped although 4 replicas > 3 partitions
    ((15, 15, 10), 10, 30),  # 40/10 = 4 > 3: capped to 3 × 10
    ((0, 0, 0), 10, 0),
])
def test_cap_uses_go_integer_division(mock_cluster, scaler, lags, threshold, metric):
    cluster = mock_cluster(brokers=3, topics={"cap": 3})
    cluster.set_lags(GROUP, "cap", lags)
    assert expected_for(cluster, GROUP, "cap", lag_threshold=threshold)[0] == metric
    server = scaler()
    _, values, _ = server.round("cap", trigger(cluster, GROUP, "cap", lagThreshold=threshold))
    assert values[0].metricValue == metric


def test_activation_is_strictly_greater_than_threshold(mock_cluster, scaler):
    cluster = mock_cluster(brokers=1, topics={"act": 2})
    cluster.set_lags(GROUP, "act", [7, 5])
    server = scaler("--lag-cache-ttl", "3600")
    for activation, active in [(11, True), (12, False), (13, False)]:
        assert expected_for(cluster, GROUP, "act", activation=activation) == (12, active)
        _, values, is_active = server.round("act", trigger(cluster, GROUP, "act", activationLagThreshold=activation))
        assert (values[0].metricValue, is_active) == (12, active), activation


def test_partition_limitation(mock_cluster, scaler):
    """partitionLimitation keeps only the listed partitions (and caps by their count); when none
    of them exists, GetMetrics fails with FAILED_PRECONDITION and KEDA's text."""
    cluster = mock_cluster(brokers=2, topics={"limited": 4})
    cluster.set_lags(GROUP, "limited", [3, 5, 7, 11])
    end, committed = read_offsets(cluster.bootstrap, GROUP, "limited")
    kept = {p: end[p] for p in (1, 2)}
    server = scaler()
    assert keda_expectation(kept, committed, lag_threshold=100) == (12, True)
    assert keda_expectation(kept, committed, lag_threshold=2) == (4, True)  # 12/2 = 6 > 2 partitions: capped
    for limitation, lag_threshold in [("1-2", 100), (" 1 , 2 ", 2)]:
        metadata = trigger(cluster, GROUP, "limited", partitionLimitation=limitation, lagThreshold=lag_threshold)
        _, values, is_active = server.round(f"limited-{lag_threshold}", metadata)
        assert (values[0].metricValue, is_active) == keda_expectation(kept, committed, lag_threshold=lag_threshold)


    uncached = scaler("--lag-cache-ttl", "0")  # the read path, where a failure would start a recovery
    for attempt in (server, uncached):
        with pytest.raises(grpc.RpcError) as failure:
            attempt.get_metrics("limited-none", trigger(cluster, GROUP, "limited", partitionLimitation="7-9"))
        assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION, failure.value
        assert "expected at least one active partition within the topic 'limited'" in failure.value.details()
    # The request's own limitation failed, not the source: no failure recorded, no rebuild.
    server = uncached
    assert server.metric("kafka_scaler_connection_rebuilds_total") == 0
    assert server.entry("limited-none")["state"] == "ready", server.entry("limited-none")
