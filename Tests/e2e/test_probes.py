"""Kubelet-style probes: a new connection per probe, one Check with a 1 s deadline, close."""
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import grpc_wire
from grpc_clients import SERVING, channel, check, health_stub
from h2_client import H2Conn, assert_ok_response

PROBES = 200
KUBE_PROBE_AGENT = "kube-probe/1.31 grpc-go/1.33.3"


def grpcio_probe(target):
    """Dial with a channel of its own, Check("") within 1 s, close."""
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


def tcp_probe(server):
    """What kubelet puts on the wire: a new TCP connection, Check with grpc-timeout ~1 s, close."""
    with H2Conn(server.host, server.port, timeout=1.0) as conn:
        result = conn.call(body=grpc_wire.frame(grpc_wire.health_request("")),
                           grpc_timeout="999390u", user_agent=KUBE_PROBE_AGENT)
        assert_ok_response(result, [grpc_wire.health_response(grpc_wire.SERVING)])


@pytest.mark.slow
def test_200_grpcio_probes_each_with_a_new_channel(server):
    fds_before = server.open_fds()
    assert [grpcio_probe(server.target) for _ in range(PROBES)] == [SERVING] * PROBES
    with channel(server.target) as ch:
        assert check(health_stub(ch)) == SERVING
    server.assert_fds_settle(fds_before)


@pytest.mark.slow
def test_200_probes_each_on_a_new_tcp_connection(server):
    fds_before = server.open_fds()
    for _ in range(PROBES):
        tcp_probe(server)
    with H2Conn(server.host, server.port) as conn:
        conn.assert_serving()
    server.assert_fds_settle(fds_before)
