"""Kubelet-style probes: a new connection per probe, one Check with a 1 s deadline, close."""
import os
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grpc_clients import SERVING, channel, check, health_stub

PROBES = 200


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def probe(target):
    """What kubelet's gRPC probe does: dial, Check("") within 1 s, close."""
    ch = grpc.insecure_channel(target, options=[
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.primary_user_agent", "kube-probe/1.31"),
    ])
    try:
        reply = health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=1.0, wait_for_ready=True)
        return reply.status
    finally:
        ch.close()


@pytest.mark.slow
def test_200_probes_each_on_a_new_connection(server):
    fds_before = open_fds(server.proc.pid)
    statuses = [probe(server.target) for _ in range(PROBES)]
    assert statuses == [SERVING] * PROBES
    with channel(server.target) as ch:
        assert check(health_stub(ch)) == SERVING
    deadline = time.monotonic() + 5
    while open_fds(server.proc.pid) > fds_before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_fds(server.proc.pid) <= fds_before + 2, \
        f"server holds {open_fds(server.proc.pid)} fds after the probes closed, {fds_before} before"
