"""`keda-kafka-scaler probe` against a running scaler and kafka-mock-cluster."""

import json

import pytest

from scaler_harness import free_port


@pytest.fixture(scope="module")
def lagging_group(kafka):
    """Group `orders-consumers` 30 messages behind on `orders`: 30 on partition 0
    (committed 10), 10 on partition 1 (committed 0... then 10), partition 2 empty."""
    kafka.command("produce orders 0 40")
    kafka.command("produce orders 1 10")
    kafka.command("commit orders-consumers orders 0 10")
    kafka.command("commit orders-consumers orders 1 10")
    kafka.command("commit orders-consumers orders 2 0")
    return "orders-consumers"


def metadata_args(kafka, group, **extra):
    entries = {"bootstrapServers": kafka.bootstrap, "consumerGroup": group, "topic": "orders", "lagThreshold": "10", **extra}
    args = []
    for key, value in entries.items():
        args += ["--metadata", f"{key}={value}"]
    return args


def test_probe_prints_the_keda_round_and_masks_the_password(cli, scaler, kafka, lagging_group):
    result = cli("probe", "--address", scaler.address, "--name", "orders-processor", "--namespace", "shop",
                 *metadata_args(kafka, lagging_group, password="hunter2-secret"))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "hunter2-secret" not in out + result.stderr
    assert "password = ******" in out
    assert "scaledobject shop/orders-processor" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in
             ("GetMetricSpec", "GetMetrics", "IsActive")}
    assert "OK" in lines["GetMetricSpec"] and "metricName=kafka-orders targetSize=10" in lines["GetMetricSpec"]
    assert "OK" in lines["GetMetrics"] and "metricName=kafka-orders metricValue=30" in lines["GetMetrics"]
    assert "OK" in lines["IsActive"] and "active=true" in lines["IsActive"]
    assert all(" ms " in line for line in lines.values())


def test_probe_reads_a_scaledobject_file(cli, scaler, kafka, lagging_group, tmp_path):
    manifest = tmp_path / "scaledobject.yaml"
    manifest.write_text(f"""apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: from-file
  namespace: files
spec:
  scaleTargetRef:
    name: consumer
  triggers:
    - type: external
      metadata:
        scalerAddress: {scaler.address}
        bootstrapServers: {kafka.bootstrap}
        consumerGroup: {lagging_group}
        topic: orders
        lagThreshold: "100"
        activationLagThreshold: "50"
        keyPassword: pem-secret
""")
    result = cli("probe", "--file", str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scaledobject files/from-file" in result.stdout
    assert "metricValue=30" in result.stdout
    assert "active=false" in result.stdout
    assert "pem-secret" not in result.stdout + result.stderr
    # --metadata beats the file.
    result = cli("probe", "--file", str(manifest), "--metadata", "activationLagThreshold=5")
    assert result.returncode == 0, result.stderr
    assert "active=true" in result.stdout


def test_probe_reads_a_json_trigger(cli, scaler, kafka, lagging_group, tmp_path):
    trigger = tmp_path / "trigger.json"
    trigger.write_text(json.dumps({"type": "external", "metadata": {
        "bootstrapServers": kafka.bootstrap, "consumerGroup": lagging_group, "topic": "orders", "lagThreshold": 7}}))
    result = cli("probe", "--address", scaler.address, "--file", str(trigger))
    assert result.returncode == 0, result.stderr
    assert "targetSize=7" in result.stdout


def test_invalid_metadata_fails_with_kedas_message(cli, scaler, kafka, lagging_group):
    result = cli("probe", "--address", scaler.address, *metadata_args(kafka, lagging_group, lagThreshold="0"))
    assert result.returncode == 3
    assert "INVALID_ARGUMENT" in result.stdout
    assert '"lagThreshold" must be positive number' in result.stdout
    assert "GetMetrics " not in result.stdout  # KEDA stops at the failed GetMetricSpec


def test_unreachable_kafka_fails_getmetrics_within_the_timeout(cli, scaler):
    result = cli("probe", "--address", scaler.address, "--name", "no-kafka", "--timeout", "2",
                 "--metadata", f"bootstrapServers=127.0.0.1:{free_port()}", "--metadata", "consumerGroup=g",
                 "--metadata", "topic=orders")
    assert result.returncode == 3, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("GetMetricSpec  OK") for line in lines)
    failed = next(line for line in lines if line.startswith("GetMetrics "))
    assert "UNAVAILABLE" in failed or "DEADLINE_EXCEEDED" in failed
    assert not any(line.startswith("IsActive") for line in lines)  # KEDA calls IsActive only after GetMetrics


def test_unreachable_scaler_exits_2(cli, kafka):
    result = cli("probe", "--address", f"127.0.0.1:{free_port()}", "--metadata", "topic=orders")
    assert result.returncode == 2
    assert "cannot connect" in result.stderr


def test_bad_arguments(cli, tmp_path):
    assert cli("probe").returncode == 64
    broken = tmp_path / "broken.yaml"
    broken.write_text("spec:\n  triggers: notalist\n")
    result = cli("probe", "--file", str(broken))
    assert result.returncode == 1
    assert "spec.triggers" in result.stderr
    result = cli("probe", "--metadata", "password:hunter2")
    assert result.returncode == 64
    assert "hunter2" not in result.stderr


def test_probe_resolves_from_env_keys_as_keda_does(cli, scaler, kafka, lagging_group):
    """--resolve-from-env: `bootstrapServersFromEnv` names a variable of probe's environment (standing in for the
    scale target's container); KEDA sends the same key with its value, and the scaler reads it when the plain key
    is absent. An unset variable leaves the key out, so the scaler reports the missing parameter."""
    args = ["probe", "--address", scaler.address, "--resolve-from-env", "--metadata", "bootstrapServersFromEnv=ORDERS_BROKERS",
            "--metadata", f"consumerGroup={lagging_group}", "--metadata", "topic=orders", "--metadata", "lagThreshold=10"]
    result = cli(*args, env={"ORDERS_BROKERS": kafka.bootstrap})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"bootstrapServersFromEnv = {kafka.bootstrap}" in result.stdout
    assert "metricName=kafka-orders metricValue=30" in result.stdout

    result = cli(*args, env={"ORDERS_BROKERS": ""})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "bootstrapServersFromEnv left out: its variable is unset or empty (as KEDA does)" in result.stdout
    assert 'missing required parameter "bootstrapServers"' in result.stdout + result.stderr
