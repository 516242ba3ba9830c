"""An h2load smoke run: 200k Check calls, 10 connections x 100 streams, zero failures."""
import re
import subprocess

import pytest

from grpc_clients import SERVING, channel, check, health_stub

REQUESTS = 200_000
GRPC_HEADERS = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


@pytest.fixture
def check_body(tmp_path):
    body = tmp_path / "check.bin"
    body.write_bytes(b"\x00\x00\x00\x00\x00")
    return str(body)


def url(server):
    return f"http://{server.target}/grpc.health.v1.Health/Check"


def assert_one_call_ends_with_grpc_status_0(server, check_body):
    """h2load judges only :status, so one call is checked frame by frame with nghttp first."""
    out = subprocess.run(["nghttp", "-v", "-n", "-d", check_body, *GRPC_HEADERS, url(server)],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr + out.stdout
    assert re.search(r"recv \(stream_id=\d+\) :status: 200", out.stdout), out.stdout
    assert re.search(r"recv \(stream_id=\d+\) grpc-status: 0", out.stdout), out.stdout
    assert "recv DATA frame <length=7" in out.stdout, out.stdout


def test_nghttp_sees_grpc_status_0(server, check_body):
    assert_one_call_ends_with_grpc_status_0(server, check_body)


@pytest.mark.slow
def test_h2load_200k_checks(server, check_body):
    assert_one_call_ends_with_grpc_status_0(server, check_body)
    out = subprocess.run(["h2load", "-n", str(REQUESTS), "-c", "10", "-m", "100", "-d", check_body,
                          *GRPC_HEADERS, url(server)], capture_output=True, text=True, timeout=110)
    assert out.returncode == 0, out.stderr + out.stdout
    summary = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                        r"(\d+) failed, (\d+) errored, (\d+) timeout", out.stdout)
    assert summary, out.stdout
    total, started, done, succeeded, failed, errored, timed_out = map(int, summary.groups())
    assert (done, succeeded, failed, errored, timed_out) == (REQUESTS, REQUESTS, 0, 0, 0), out.stdout
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out.stdout)
    assert codes and int(codes.group(1)) == REQUESTS, out.stdout
    with channel(server.target) as ch:
        assert check(health_stub(ch)) == SERVING
