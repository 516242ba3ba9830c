"""gRPC wire facts shared by the raw-frame tests: paths, status codes, message framing."""
import struct
import urllib.parse

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
REFLECTION_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

OK = 0
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
RESOURCE_EXHAUSTED = 8
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14

# HealthCheckResponse.ServingStatus values.
SERVING = 1
NOT_SERVING = 2
SERVICE_UNKNOWN = 3

MAX_RECEIVE = 4 * 1024 * 1024


def frame(payload, compressed=False):
    """One length-prefixed message: flag byte, 4-byte big-endian length, bytes."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + payload


def health_request(service=""):
    """HealthCheckRequest{service} serialized by hand (field 1, length-delimited)."""
    raw = service.encode("utf-8")
    return length_delimited(1, raw) if raw else b""


def length_delimited(number, payload):
    """One length-delimited protobuf field (strings, sub-messages, map entries)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def health_response(status):
    """HealthCheckResponse{status}; UNKNOWN (0) is the empty message."""
    return b"" if status == 0 else b"\x08" + _varint(status)


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def split_messages(body):
    """Splits a response body into message payloads; raises if framing is broken."""
    messages = []
    offset = 0
    while offset < len(body):
        if len(body) - offset < 5:
            raise ValueError(f"truncated message prefix at {offset}: {body[offset:].hex()}")
        flag, length = struct.unpack_from(">BI", body, offset)
        if flag != 0:
            raise ValueError(f"server sent a compressed message (flag {flag})")
        end = offset + 5 + length
        if end > len(body):
            raise ValueError(f"truncated message at {offset}: wants {length} bytes")
        messages.append(body[offset + 5:end])
        offset = end
    return messages


def grpc_request_headers(path, default_authority, extra=(), **overrides):
    """The headers a real gRPC client sends; `overrides` replace or (with None) drop one."""
    base = {
        ":method": "POST",
        ":scheme": "http",
        ":path": path,
        ":authority": default_authority,
        "content-type": "application/grpc",
        "te": "trailers",
        "user-agent": "kks-e2e/1",
    }
    for key, value in overrides.items():
        name = key.replace("_", "-")
        if name in ("method", "scheme", "path", "authority"):
            name = ":" + name
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return list(base.items()) + list(extra)


def decode_grpc_message(value):
    """grpc-message is percent-encoded UTF-8."""
    return urllib.parse.unquote(value, encoding="utf-8", errors="replace")
