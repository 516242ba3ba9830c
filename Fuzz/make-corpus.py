"""Writes the fuzzers' seed corpus (Fuzz/corpus/<Fuzzer>/) from the requests the
end-to-end clients send: KEDA's ExternalScaler calls with the trigger metadata of
KEDA's own test tables (Tests/KafkaLagTests/Fixtures/keda-kafka-cases.json), gRPC
Health and reflection calls, auth profiles as the e2e tests mount them, and the ops
requests urllib sends. Run from the project root: .venv/bin/python Fuzz/make-corpus.py"""

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import h2.config
import h2.connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
import grpc_wire  # noqa: E402
from scaler_harness import Stubs  # noqa: E402

CORPUS = ROOT / "Fuzz" / "corpus"
CASES = json.loads((ROOT / "Tests" / "KafkaLagTests" / "Fixtures" / "keda-kafka-cases.json").read_text())


def write(fuzzer: str, seeds: list[bytes]) -> None:
    folder = CORPUS / fuzzer
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{fuzzer}: {len(seeds)} seeds")


def metadata_maps(limit: int = 40) -> list[dict[str, str]]:
    """Distinct trigger metadata of KEDA's test tables, with the auth parameters folded in."""
    seen, maps = set(), []
    for case in CASES:
        metadata = {**case.get("metadata", {}), **case.get("authParams", {})}
        key = json.dumps(metadata, sort_keys=True)
        if metadata and key not in seen:
            seen.add(key)
            maps.append({str(k): str(v) for k, v in metadata.items()})
    return maps[:limit]


def fields(*values: str) -> bytes:
    return b"\0".join(value.encode() for value in values)


def h2_connection_bytes(calls: list[tuple[str, bytes]]) -> bytes:
    """What an HTTP/2 gRPC client writes for `calls` (path, framed body) on one connection."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    for path, body in calls:
        stream = connection.get_next_available_stream_id()
        connection.send_headers(stream, grpc_wire.grpc_request_headers(path, "127.0.0.1"))
        connection.send_data(stream, body, end_stream=True)
    return connection.data_to_send()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        pb = Stubs(directory).pb
        refs = [pb.ScaledObjectRef(name=f"so-{i}", namespace="shop", scalerMetadata=m) for i, m in enumerate(metadata_maps())]
        requests = [pb.GetMetricsRequest(scaledObjectRef=ref, metricName="s0-kafka-orders") for ref in refs[:10]]

        write("RequestDecoderFuzzer", [ref.SerializeToString() for ref in refs] + [r.SerializeToString() for r in requests])
        write("MetadataParserFuzzer", [fields(*[part for item in sorted(m.items()) for part in item]) for m in metadata_maps()])

        service = "/externalscaler.ExternalScaler/"
        connection_seeds = [
            h2_connection_bytes([("/grpc.health.v1.Health/Check", grpc_wire.frame(grpc_wire.health_request("")))]),
            h2_connection_bytes([(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                grpc_wire.frame(grpc_wire.length_delimited(7, b"")),  # list_services
            )]),
        ]
        for ref, request in zip(refs[:6], requests[:6]):
            framed = grpc_wire.frame(ref.SerializeToString())
            connection_seeds.append(h2_connection_bytes([
                (service + "GetMetricSpec", framed),
                (service + "GetMetrics", grpc_wire.frame(request.SerializeToString())),
                (service + "IsActive", framed),
            ]))
        write("ServerConnectionFuzzer", connection_seeds)

    write("AuthProfileFuzzer", [
        fields("kafka", "username", "svc-user", "password", "s3cret", "sasl", "plaintext"),
        fields("scram", "username", "svc", "password", "p", "sasl", "scram_sha512", "tls", "enable"),
        fields("mtls", "tls", "enable", "ca", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
               "allowedNamespaces", "shop,payments", "allowedBrokers", "*.kafka.svc:9093"),
        fields("oauth", "sasl", "oauthbearer", "oauthTokenEndpointUri", "https://idp/token", "username", "id", "password", "secret"),
    ])

    write("OpsRouterFuzzer", [
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Python-urllib/3.11\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\nGET /readyz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        b"GET /registry HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer token\r\n\r\n",
        b"POST /registry/reload?namespace=shop&name=orders&triggerName=t HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"POST /registry/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    ])


if __name__ == "__main__":
    main()
