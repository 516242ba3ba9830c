"""Admission: invalid metadata is INVALID_ARGUMENT with KEDA's message and never
reaches the registry; GetMetricSpec creates the entry without any Kafka I/O."""

import json

import grpc
import pytest

from grpc_wire import length_delimited
from scaler_harness import trigger, wait_until

# (metadata changes, a piece of the message KEDA's in-tree trigger gives)
INVALID = [
    ({"bootstrapServers": None}, 'missing required parameter "bootstrapServers" in [triggerMetadata resolvedEnv]'),
    ({"consumerGroup": "   "}, 'missing required parameter "consumerGroup" in [triggerMetadata resolvedEnv]'),
    ({"lagThreshold": "0"}, '"lagThreshold" must be positive number'),
    ({"activationLagThreshold": "-1"}, '"activationLagThreshold" must be a non-negative number'),
    ({"offsetResetPolicy": "foo"}, 'parameter "offsetResetPolicy" value "foo" must be one of [latest earliest]'),
    ({"partitionLimitation": "1-2-3"}, "invalid partition limitation range: 1-2-3"),
    ({"partitionLimitation": "0-2147483647"}, "invalid partition limitation: 0-2147483647 (more than 100000 partition IDs in all)"),
    ({"allowIdleConsumers": "true", "limitToPartitionsWithLag": "true"},
     "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously"),
    ({"topic": None, "limitToPartitionsWithLag": "true"}, "topic must be specified when using limitToPartitionsWithLag"),
    ({"configVersion": "-1"}, "configVersion"),
    ({"configVersion": "v2"}, "configVersion"),
    ({"pushInterval": "0"}, "pushInterval"),
]


def with_changes(base: dict[str, str], changes: dict) -> dict[str, str]:
    metadata = dict(base)
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    return metadata


def test_invalid_metadata_is_rejected_without_an_entry(mock_cluster, scaler, stubs):
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    server = scaler()
    base = trigger(cluster, "g", "t")
    for index, (changes, message) in enumerate(INVALID):
        metadata = with_changes(base, changes)
        ref = server.ref(f"bad-{index}", metadata)
        calls = [
            lambda: server.stub.GetMetricSpec(ref, timeout=5),
            lambda: server.stub.GetMetrics(stubs.pb.GetMetricsRequest(scaledObjectRef=ref, metricName="kafka-t"), timeout=5),
            lambda: server.stub.IsActive(ref, timeout=5),
            lambda: next(iter(server.stub.StreamIsActive(ref, timeout=5))),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as failure:
                call()
            assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (changes, failure.value)
            assert message in failure.value.details(), (changes, failure.value.details())
    assert server.registry()["entries"] == []
    assert server.metric("kafka_scaler_registry_entries") == 0
    assert server.kafka_sockets(cluster.ports) == 0
    assert server.metric("kafka_scaler_observations_total") == 0


def test_huge_partition_range_is_refused_without_allocating_it(mock_cluster, scaler):
    """A 30-byte request once expanded 2^31 partition IDs (8 GiB) on the network thread."""
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    cluster.set_lags("g", "t", [3])
    server = scaler()
    metadata = trigger(cluster, "g", "t", partitionLimitation="0-2147483647")
    for index in range(20):
        with pytest.raises(grpc.RpcError) as failure:
            server.stub.GetMetricSpec(server.ref(f"huge-{index}", metadata), timeout=5)
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    peak_kib = int(server.proc_status("VmHWM").split()[0])
    assert peak_kib < 256 * 1024, f"peak RSS {peak_kib} KiB"
    assert server.get_metrics("fine", trigger(cluster, "g", "t")) == 3


def test_get_metric_spec_admits_without_kafka_io(mock_cluster, scaler):
    cluster = mock_cluster(brokers=3, topics={"payments.v1": 3})
    server = scaler()
    ref = server.ref("specs-only", trigger(cluster, "g", "payments.v1", lagThreshold=25, triggerName="second"))
    spec = server.stub.GetMetricSpec(ref, timeout=5)
    assert [(s.metricName, s.targetSize, s.targetSizeFloat) for s in spec.metricSpecs] == [("kafka-payments-v1", 25, 25.0)]

    status = server.registry()
    assert len(status["entries"]) == 1
    entry = status["entries"][0]
    assert (entry["namespace"], entry["name"], entry["triggerName"]) == ("e2e", "specs-only", "second")
    assert entry["pinned"]["brokers"] == cluster.bootstrap.split(",")
    assert entry["pinned"]["topic"] == "payments.v1" and entry["lastEvaluation"] is None
    assert [c["state"] for c in status["connections"]] == ["unopened"]
    assert status["connections"][0]["key"] == entry["connection"]
    assert server.kafka_sockets(cluster.ports) == 0
    assert server.metric("kafka_scaler_observations_total") == 0
    assert server.metric("kafka_scaler_kafka_handles") == 0


def test_trigger_name_separates_entries(mock_cluster, scaler):
    """Registry key = (namespace, name, triggerName): two triggers of one ScaledObject, and the
    same name in two namespaces, are four entries."""
    cluster = mock_cluster(brokers=1, topics={"a": 1, "b": 1})
    server = scaler()
    for namespace in ("ns1", "ns2"):
        for topic in ("a", "b"):
            server.stub.GetMetricSpec(server.ref("so", trigger(cluster, "g", topic, triggerName=topic), namespace), timeout=5)
    keys = sorted((e["namespace"], e["name"], e["triggerName"], e["pinned"]["topic"]) for e in server.registry()["entries"])
    assert keys == [("ns1", "so", "a", "a"), ("ns1", "so", "b", "b"), ("ns2", "so", "a", "a"), ("ns2", "so", "b", "b")]


def test_auth_profiles_resolve_server_side_and_stay_secret(mock_cluster, scaler, tmp_path):
    """DESIGN.md §3.3: credentials come from <--auth-profiles>/<name>/<key>; a missing profile is
    INVALID_ARGUMENT; secrets never show in /registry, /metrics or the logs."""
    secret = "pa55-w0rd-never-shown"
    profile = tmp_path / "kafka-creds"
    profile.mkdir()
    (profile / "username").write_text("svc-scaler")
    (profile / "password").write_text(secret)
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    server = scaler("--auth-profiles", str(tmp_path), "--log-level", "debug")

    with pytest.raises(grpc.RpcError) as failure:
        server.stub.GetMetricSpec(server.ref("nope", trigger(cluster, "g", "t", authProfile="missing")), timeout=5)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert 'auth profile "missing" not found' in failure.value.details()

    with pytest.raises(grpc.RpcError) as failure:  # sasl without the profile: KEDA's "no username given"
        server.stub.GetMetricSpec(server.ref("bare", trigger(cluster, "g", "t", sasl="plaintext")), timeout=5)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no username given" in failure.value.details()

    plain = trigger(cluster, "g", "t")
    with_profile = trigger(cluster, "g", "t", sasl="plaintext", authProfile="kafka-creds")
    server.stub.GetMetricSpec(server.ref("plain", plain), timeout=5)
    server.stub.GetMetricSpec(server.ref("sasl", with_profile), timeout=5)
    status = server.registry()
    fingerprints = {entry["name"]: entry["connection"] for entry in status["entries"]}
    assert set(fingerprints) == {"plain", "sasl"}
    assert fingerprints["plain"] != fingerprints["sasl"]  # credentials are part of the connection key
    assert len(status["connections"]) == 2
    _, metrics = server.http("GET", "/metrics")
    for text in (json.dumps(status), metrics.decode(), "".join(server.log_lines)):
        assert secret not in text


def _get_metrics_bytes(name: str, entries: list[tuple[str, str]], metric_name: str) -> bytes:
    """A GetMetricsRequest with the map entries in exactly this order (KEDA's Go encoder
    randomizes map order; Python's protobuf gives no control over it)."""
    ref = length_delimited(1, name.encode()) + length_delimited(2, b"e2e")
    for key, value in entries:
        ref += length_delimited(3, length_delimited(1, key.encode()) + length_delimited(2, value.encode()))
    return length_delimited(1, ref) + length_delimited(2, metric_name.encode())


def test_metadata_order_does_not_matter_and_repeated_keys_follow_protobuf(mock_cluster, scaler, stubs):
    """The same trigger sent with its metadata entries in any order is one trigger: the same
    value, one entry, no drift, one Kafka read. A key sent twice takes its last value, as
    protobuf decoding says, whatever was decoded before."""
    cluster = mock_cluster(brokers=1, topics={"orders": 2, "payments": 1})
    cluster.set_lags("g", "orders", [4, 6], committed=10)
    cluster.set_lags("g", "payments", [3], committed=10)
    server = scaler("--lag-cache-ttl", "60")
    get_metrics = server.channel.unary_unary(
        "/externalscaler.ExternalScaler/GetMetrics", request_serializer=lambda raw: raw,
        response_deserializer=stubs.pb.GetMetricsResponse.FromString)
    entries = sorted(trigger(cluster, "g", "orders", lagThreshold=5).items())
    orders = [entries, entries[::-1], entries[1:] + entries[:1], entries[2:] + entries[:2]]
    for order in orders * 3:
        response = get_metrics(_get_metrics_bytes("shuffled", order, "kafka-orders"), timeout=10)
        assert [(v.metricName, v.metricValue) for v in response.metricValues] == [("kafka-orders", 10)], order
    entry = server.entry("shuffled")
    assert entry["pending"] is None and entry["pinned"]["topic"] == "orders"
    assert server.metric("kafka_scaler_observations_total", result="success") == 1

    repeated = entries + [("topic", "payments")]
    response = get_metrics(_get_metrics_bytes("repeated", repeated, "kafka-payments"), timeout=10)
    assert [v.metricValue for v in response.metricValues] == [3]
    response = get_metrics(_get_metrics_bytes("repeated", repeated[::-1], "kafka-payments"), timeout=10)
    assert [v.metricValue for v in response.metricValues] == [3], "served from the pin"
    assert server.entry("repeated")["pending"]["topic"] == "orders", "reversed, the last topic is orders: pending at the same version"


def test_amplifying_requests_are_refused_while_others_are_served(mock_cluster, scaler, stubs):
    """Issue 13: a 4 MiB ScaledObjectRef of ~2 million empty metadata entries once made
    protobuf-c, the interner and the metadata map allocate hundreds of MB. ExternalScaler
    and Health accept 64 KiB requests (RESOURCE_EXHAUSTED past it, as grpc-go says), and a
    map of more than 256 entries is INVALID_ARGUMENT, both before anything is built."""
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    cluster.set_lags("g", "t", [4])
    server = scaler()
    get_metrics = server.channel.unary_unary(
        "/externalscaler.ExternalScaler/GetMetrics", request_serializer=lambda raw: raw,
        response_deserializer=stubs.pb.GetMetricsResponse.FromString)
    empty_entry = length_delimited(3, b"")
    flood = length_delimited(1, length_delimited(1, b"so") + empty_entry * 2_000_000)
    for _ in range(5):
        with pytest.raises(grpc.RpcError) as failure:
            get_metrics(flood, timeout=10)
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, failure.value
        assert "received message larger than max" in failure.value.details()
    within_size = length_delimited(1, length_delimited(1, b"so") + empty_entry * 30_000)
    with pytest.raises(grpc.RpcError) as failure:
        get_metrics(within_size, timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == "scalerMetadata has 30000 entries; at most 256 are accepted"

    check = server.channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda raw: raw,
                                       response_deserializer=lambda raw: raw)
    with pytest.raises(grpc.RpcError) as failure:
        check(length_delimited(1, b"x" * 100_000), timeout=10)
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    peak_kib = int(server.proc_status("VmHWM").split()[0])
    assert peak_kib < 256 * 1024, f"peak RSS {peak_kib} KiB"
    assert server.get_metrics("fine", trigger(cluster, "g", "t")) == 4
    assert server.registry()["entries"][0]["name"] == "fine"


def test_caller_strings_cannot_forge_text_log_lines(mock_cluster, scaler):
    """Issue 11, attack 7: with --log-format text, a namespace or name holding a new line
    once started a log line of the caller's choosing."""
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    forged = "FORGED critical keda-kafka-scaler : registry wiped"
    server = scaler("--log-format", "text", "--log-level", "debug")
    for namespace in (f"team\n{forged}", f"team\r\n{forged}", f"team\u2028{forged}"):
        with pytest.raises(grpc.RpcError):
            server.stub.GetMetricSpec(server.ref(f"so\n{forged}", {"bootstrapServers": cluster.bootstrap}, namespace), timeout=5)
    wait_until(lambda: sum("invalid trigger metadata" in line for line in server.log_lines) >= 3, 10, "three debug lines")
    assert not [line for line in server.log_lines if line.startswith("FORGED")], server.log_lines[-5:]
    assert sum("team\\n" + forged in line for line in server.log_lines) == 1


def test_registry_caps_refuse_new_triggers_and_keep_serving_old_ones(mock_cluster, scaler):
    """Issue 13: anyone reaching the port could add entries and Kafka connections without
    bound. --max-registry-entries and --max-kafka-connections refuse the excess with
    RESOURCE_EXHAUSTED naming the flag; existing triggers keep being served."""
    cluster = mock_cluster(brokers=1, topics={"t": 1})
    cluster.set_lags("g", "t", [2])
    server = scaler("--max-registry-entries", "2", "--max-kafka-connections", "1")
    assert server.get_metrics("one", trigger(cluster, "g", "t")) == 2
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics("other-cluster", trigger(f"127.0.0.1:{cluster.ports.pop() + 1}", "g", "t"))
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "--max-kafka-connections" in failure.value.details()
    assert server.get_metrics("two", trigger(cluster, "g", "t")) == 2
    with pytest.raises(grpc.RpcError) as failure:
        server.stub.GetMetricSpec(server.ref("three", trigger(cluster, "g", "t")), timeout=5)
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "--max-registry-entries" in failure.value.details()
    assert server.get_metrics("one", trigger(cluster, "g", "t")) == 2
    assert server.metric("kafka_scaler_registry_rejected_total", reason="entries") == 1
    assert server.metric("kafka_scaler_registry_rejected_total", reason="connections") == 1
