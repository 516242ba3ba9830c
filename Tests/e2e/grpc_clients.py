"""grpcio channels and stubs, the independent client the server must interoperate with."""
import contextlib

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


@contextlib.contextmanager
def channel(target, ready_timeout=5.0):
    """A channel with its own connection (no subchannel sharing between channels)."""
    ch = grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    try:
        grpc.channel_ready_future(ch).result(timeout=ready_timeout)
        yield ch
    finally:
        ch.close()


def health_stub(ch):
    return health_pb2_grpc.HealthStub(ch)


def check(stub, service="", timeout=2.0):
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout).status


def watch(stub, service="", timeout=None):
    return stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
