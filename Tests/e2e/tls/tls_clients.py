"""Independent TLS clients: grpcio secure and plaintext channels, and Python's ssl module."""
import socket
import ssl

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

RPC_TIMEOUT = 5.0
# The shutdown grace TLS test servers run with (seconds).
SHUTDOWN_GRACE = 3


def secure_channel(target, ca, client=None):
    """A grpcio TLS channel trusting `ca`, presenting `client` (a Leaf) when given."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.cert.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None,
    )
    return grpc.secure_channel(target, credentials)


def health_check(channel, timeout=RPC_TIMEOUT):
    """The overall health status name, or a grpc.RpcError raised."""
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def handshake(port, ca, client=None, alpn=("h2",), timeout=RPC_TIMEOUT):
    """A fresh TLS connection with Python's ssl module: (peer certificate serial, ALPN protocol, TLS version)."""
    context = ssl.create_default_context(cafile=str(ca.cert))
    if alpn:
        context.set_alpn_protocols(list(alpn))
    if client:
        context.load_cert_chain(str(client.cert), str(client.key))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            # TLS 1.3 delivers a client-certificate rejection after the client's Finished:
            # read once so such an alert surfaces here, not in a later test step.
            tls.settimeout(0.5)
            try:
                tls.recv(1)
            except (socket.timeout, TimeoutError):
                pass
            return tls.getpeercert()["serialNumber"], tls.selected_alpn_protocol(), tls.version()
