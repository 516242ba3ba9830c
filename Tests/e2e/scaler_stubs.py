"""Python stubs for proto/externalscaler.proto, generated at test time with grpcio-tools
(independent of the server's protobuf-c code)."""
import importlib
import sys

from grpc_tools import protoc

import kks_server

PROTO = kks_server.REPO_ROOT / "proto" / "externalscaler.proto"


def load_stubs(out_dir):
    """(externalscaler_pb2, externalscaler_pb2_grpc), generated into `out_dir` once per process."""
    if "externalscaler_pb2_grpc" in sys.modules:
        return sys.modules["externalscaler_pb2"], sys.modules["externalscaler_pb2_grpc"]
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{PROTO.parent}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", str(PROTO)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed on {PROTO}")
    sys.path.insert(0, str(out_dir))
    return importlib.import_module("externalscaler_pb2"), importlib.import_module("externalscaler_pb2_grpc")
