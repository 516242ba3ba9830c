"""`keda-kafka-scaler health`: grpc_health_probe's exit codes against a real server."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from scaler_harness import free_port


def test_serving_server_exits_0(cli, scaler):
    result = cli("health", "--address", scaler.address)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "status: SERVING"
    # An independent client agrees.
    with grpc.insecure_channel(scaler.address) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_named_service_exits_0(cli, scaler):
    result = cli("health", "--address", scaler.address, "--service", "externalscaler.ExternalScaler")
    assert result.returncode == 0, result.stderr


def test_kks_port_is_the_default_port(cli, scaler):
    result = cli("health", env={"KKS_PORT": str(scaler.port)})
    assert result.returncode == 0, result.stderr


def test_closed_port_exits_2(cli):
    port = free_port()
    result = cli("health", "--address", f"127.0.0.1:{port}", "--timeout", "2")
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr


def test_unknown_service_exits_3(cli, scaler):
    result = cli("health", "--address", scaler.address, "--service", "no.such.Service")
    assert result.returncode == 3
    assert "NOT_FOUND" in result.stderr


def test_bad_flags_exit_1(cli):
    for args in (["--address", "nope"], ["--timeout", "0"], ["--timeout", "abc"], ["--no-such-flag"]):
        result = cli("health", *args)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.strip(), args
