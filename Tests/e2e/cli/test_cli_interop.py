"""The CLI's gRPC client against grpcio servers (grpc-core's HTTP/2 and protobuf, not
ours): health with every grpc_health_probe exit code, and probe against a Python
ExternalScaler built from the repository's externalscaler.proto."""

from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from scaler_harness import Stubs


@pytest.fixture()
def grpcio_server():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    port = server.add_insecure_port("127.0.0.1:0")
    yield server, f"127.0.0.1:{port}"
    server.stop(grace=None)


def test_health_exit_codes_against_grpcio(cli, grpcio_server):
    server, address = grpcio_server
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    servicer.set("down", health_pb2.HealthCheckResponse.NOT_SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.start()
    assert cli("health", "--address", address).returncode == 0
    down = cli("health", "--address", address, "--service", "down")
    assert down.returncode == 4
    assert "NOT_SERVING" in down.stderr
    unknown = cli("health", "--address", address, "--service", "unknown")
    assert unknown.returncode == 3
    assert "NOT_FOUND" in unknown.stderr


@pytest.fixture(scope="module")
def externalscaler(tmp_path_factory):
    """externalscaler_pb2 / _pb2_grpc generated from proto/externalscaler.proto."""
    stubs = Stubs(str(tmp_path_factory.mktemp("externalscaler")))
    return stubs.pb, stubs.grpc


def test_probe_against_a_grpcio_external_scaler(cli, grpcio_server, externalscaler):
    pb2, pb2_grpc = externalscaler
    server, address = grpcio_server
    seen = []

    class Scaler(pb2_grpc.ExternalScalerServicer):
        def GetMetricSpec(self, request, context):
            seen.append(("GetMetricSpec", request.name, request.namespace, dict(request.scalerMetadata)))
            return pb2.GetMetricSpecResponse(metricSpecs=[pb2.MetricSpec(metricName="kafka-interop", targetSize=10)])

        def GetMetrics(self, request, context):
            seen.append(("GetMetrics", request.metricName, context.time_remaining()))
            return pb2.GetMetricsResponse(metricValues=[pb2.MetricValue(metricName=request.metricName, metricValue=42)])

        def IsActive(self, request, context):
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "lag ≥ 100% — über")

    pb2_grpc.add_ExternalScalerServicer_to_server(Scaler(), server)
    server.start()
    result = cli("probe", "--address", address, "--namespace", "ns", "--name", "so", "--timeout", "2",
                 "--metadata", "topic=interop", "--metadata", "password=p4ss")
    assert result.returncode == 3, result.stdout + result.stderr
    assert seen[0] == ("GetMetricSpec", "so", "ns", {"topic": "interop", "password": "p4ss"})
    assert seen[1][:2] == ("GetMetrics", "kafka-interop")
    assert 0 < seen[1][2] <= 2.0  # grpc-timeout arrived
    lines = result.stdout.splitlines()
    assert any(line.startswith("GetMetrics ") and "metricValue=42" in line for line in lines)
    active = next(line for line in lines if line.startswith("IsActive"))
    assert "FAILED_PRECONDITION" in active
    assert "lag ≥ 100% — über" in active  # percent-encoded by grpc-core, decoded by the CLI
    assert "p4ss" not in result.stdout
