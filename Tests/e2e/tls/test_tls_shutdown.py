"""Graceful shutdown over TLS: long-lived streams end UNAVAILABLE and the process exits 0 in time,
also with an idle TLS client that never answers the server's close_notify and a TCP client
that never starts its handshake."""
import socket
import ssl
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tls_clients import RPC_TIMEOUT, SHUTDOWN_GRACE, health_check, secure_channel


def test_sigterm_ends_tls_streams_and_exits_within_the_grace(start_server, material):
    server = start_server("--tls-cert", str(material.server1.cert), "--tls-key", str(material.server1.key))
    idle = ssl.create_default_context(cafile=str(material.ca.cert))
    idle.set_alpn_protocols(["h2"])
    with socket.create_connection(("127.0.0.1", server.port), timeout=RPC_TIMEOUT), \
            socket.create_connection(("127.0.0.1", server.port), timeout=RPC_TIMEOUT) as raw, \
            idle.wrap_socket(raw, server_hostname="127.0.0.1"), \
            secure_channel(server.target, material.ca) as channel:
        assert health_check(channel) == "SERVING"
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        seen = []
        ended = []

        def follow():
            try:
                for update in watch:
                    seen.append(health_pb2.HealthCheckResponse.ServingStatus.Name(update.status))
            except grpc.RpcError as error:
                ended.append(error.code())

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        deadline = time.monotonic() + RPC_TIMEOUT
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == ["SERVING"]

        started = time.monotonic()
        code, _ = server.stop()
        elapsed = time.monotonic() - started
        follower.join(RPC_TIMEOUT)
    assert code == 0, server.log_text()
    assert elapsed < SHUTDOWN_GRACE + 1.5, f"exit took {elapsed:.1f}s with a {SHUTDOWN_GRACE}s grace"
    assert ended == [grpc.StatusCode.UNAVAILABLE]
    assert seen[-1] == "NOT_SERVING"
