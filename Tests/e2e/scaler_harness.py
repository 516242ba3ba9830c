"""The scaler end-to-end harness, shared by the fixtures in conftest.py and by
bench/scaler: the real `keda-kafka-scaler` process, librdkafka mock clusters driven
through `kafka-mock-cluster`, externalscaler stubs generated at run time, and an
independent lag computation made with kafka-python. A module of its own (not
conftest) so test modules import it by a name no other conftest.py can shadow.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "proto" / "externalscaler.proto"


def _bin_dir() -> Path:
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    return Path(out.stdout.strip())


def binary_paths() -> dict[str, Path]:
    """The scaler and mock-cluster binaries: $KKS_BINARY / $KKS_MOCK_CLUSTER, else `swift build --show-bin-path`."""
    scaler = os.environ.get("KKS_BINARY")
    mock = os.environ.get("KKS_MOCK_CLUSTER")
    if not scaler or not mock:
        directory = _bin_dir()
        scaler = scaler or str(directory / "keda-kafka-scaler")
        mock = mock or str(Path(scaler).parent / "kafka-mock-cluster")
    return {"scaler": Path(scaler), "mock": Path(mock)}


class Stubs:
    """The generated externalscaler modules: `pb` (messages) and `grpc` (ExternalScalerStub)."""

    def __init__(self, directory: str):
        from grpc_tools import protoc

        args = ["protoc", f"-I{PROTO.parent}", f"--python_out={directory}", f"--grpc_python_out={directory}", str(PROTO)]
        if protoc.main(args) != 0:
            raise RuntimeError("grpc_tools.protoc failed on proto/externalscaler.proto")
        sys.path.insert(0, directory)
        import externalscaler_pb2
        import externalscaler_pb2_grpc

        self.pb = externalscaler_pb2
        self.grpc = externalscaler_pb2_grpc


# ---------------------------------------------------------------------------
# Mock Kafka clusters


class MockCluster:
    """One `kafka-mock-cluster` process: a librdkafka mock cluster on 127.0.0.1 driven by stdin lines."""

    def __init__(self, binary: Path, brokers: int, topics: dict[str, int]):
        args = [str(binary), "--brokers", str(brokers)]
        for name, partitions in topics.items():
            args += ["--topic", f"{name}:{partitions}"]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        hello = self._reply(timeout=30)
        if not hello.get("ok"):
            raise RuntimeError(f"kafka-mock-cluster failed to start: {hello}")
        self.bootstrap: str = hello["bootstrap"]
        self.broker_ids: list[int] = hello["brokers"]
        self.ports = {int(address.rsplit(":", 1)[1]) for address in self.bootstrap.split(",")}

    def _reply(self, timeout: float) -> dict:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            raise RuntimeError(f"kafka-mock-cluster gave no answer within {timeout} s (exit {self.process.poll()})")
        return json.loads(result[0])

    def command(self, line: str, timeout: float = 30) -> dict:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self._reply(timeout)
        if not reply.get("ok"):
            raise RuntimeError(f"mock cluster command {line!r} failed: {reply}")
        return reply

    def create(self, topic: str, partitions: int) -> None:
        self.command(f"create {topic} {partitions}")

    def produce(self, topic: str, partition: int, count: int) -> None:
        if count > 0:
            self.command(f"produce {topic} {partition} {count}")

    def commit(self, group: str, topic: str, partition: int, offset: int) -> None:
        self.command(f"commit {group} {topic} {partition} {offset}")

    def set_lags(self, group: str, topic: str, lags, committed: int = 1) -> None:
        """Partition i gets `committed + lags[i]` messages and the group's commit at `committed`."""
        for partition, lag in enumerate(lags):
            self.produce(topic, partition, committed + lag)
            self.commit(group, topic, partition, committed)

    def down_all(self) -> None:
        for broker in self.broker_ids:
            self.command(f"down {broker}")

    def up_all(self) -> None:
        for broker in self.broker_ids:
            self.command(f"up {broker}")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.command("quit", timeout=10)
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# ---------------------------------------------------------------------------
# The scaler process


_TEXT_LISTENING = re.compile(r"grpc\.port=(\d+).*gRPC server listening")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str) -> list[tuple[str, dict[str, str], float]]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line.strip())
        if match:
            labels = dict(_LABEL.findall(match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    return samples


class Scaler:
    """A running `keda-kafka-scaler serve` with its gRPC and ops ports."""

    def __init__(self, binary: Path, stubs, extra: list[str], env: dict[str, str] | None = None):
        self.ops_port = free_port()
        self.ops_host = extra[extra.index("--ops-host") + 1] if "--ops-host" in extra else "127.0.0.1"
        # Tests read /registry and reload from loopback; a test of the ops port's access rules passes its own.
        trust = [] if "--ops-trust-loopback" in extra else ["--ops-trust-loopback", "true"]
        args = [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--ops-port", str(self.ops_port), "--log-format", "json", *trust, *extra]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self.pid = self.process.pid
        self.log_lines: list[str] = []
        self._grpc_port = threading.Event()
        self.port = 0
        threading.Thread(target=self._read_logs, daemon=True).start()
        if not self._grpc_port.wait(60):
            self.process.kill()
            raise RuntimeError(f"scaler did not log its gRPC port; logs: {self.log_lines[-20:]}")
        self.stubs = stubs
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = stubs.grpc.ExternalScalerStub(self.channel)
        wait_until(lambda: self.http("GET", "/readyz")[0] == 200, 30, "ops port ready")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ops_address(self) -> str:
        return f"{self.ops_host}:{self.ops_port}"

    def _read_logs(self) -> None:
        for line in self.process.stderr:
            self.log_lines.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                text_form = _TEXT_LISTENING.search(line)  # --log-format text
                if text_form:
                    self.port = int(text_form.group(1))
                    self._grpc_port.set()
                continue
            if record.get("message") == "gRPC server listening":
                self.port = int(record.get("grpc.port") or record.get("metadata", {}).get("grpc.port"))
                self._grpc_port.set()

    # gRPC -----------------------------------------------------------------

    def ref(self, name: str, metadata: dict[str, str], namespace: str = "e2e"):
        return self.stubs.pb.ScaledObjectRef(name=name, namespace=namespace, scalerMetadata=metadata)

    def round(self, name: str, metadata: dict[str, str], namespace: str = "e2e", timeout: float = 10):
        """One KEDA round: GetMetricSpec, then GetMetrics with the returned name, then IsActive, all with the same ref."""
        ref = self.ref(name, metadata, namespace)
        spec = self.stub.GetMetricSpec(ref, timeout=timeout)
        assert len(spec.metricSpecs) == 1, spec
        metric_name = spec.metricSpecs[0].metricName
        metrics = self.stub.GetMetrics(self.stubs.pb.GetMetricsRequest(scaledObjectRef=ref, metricName=metric_name), timeout=timeout)
        active = self.stub.IsActive(ref, timeout=timeout)
        return spec.metricSpecs[0], metrics.metricValues, active.result

    def get_metrics(self, name: str, metadata: dict[str, str], namespace: str = "e2e", timeout: float = 10, metric_name: str = "m") -> int:
        request = self.stubs.pb.GetMetricsRequest(scaledObjectRef=self.ref(name, metadata, namespace), metricName=metric_name)
        values = self.stub.GetMetrics(request, timeout=timeout).metricValues
        assert len(values) == 1 and values[0].metricName == metric_name, values
        assert values[0].metricValueFloat == float(values[0].metricValue), values
        return values[0].metricValue

    # ops ------------------------------------------------------------------

    def http(self, method: str, path: str, timeout: float = 10) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://{self.ops_address}{path}", method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except (urllib.error.URLError, ConnectionError):
            return 0, b""

    def registry(self) -> dict:
        status, body = self.http("GET", "/registry")
        assert status == 200, (status, body)
        return json.loads(body)

    def entry(self, name: str, namespace: str = "e2e", trigger: str = "") -> dict | None:
        for entry in self.registry()["entries"]:
            if (entry["namespace"], entry["name"], entry["triggerName"]) == (namespace, name, trigger):
                return entry
        return None

    def history(self, name: str, namespace: str = "e2e") -> list[dict]:
        """The entry's events from GET /registry/history, oldest first."""
        status, body = self.http("GET", f"/registry/history?namespace={namespace}&name={name}")
        assert status == 200, body
        (entry,) = json.loads(body)["entries"]
        return entry["events"]

    def metrics(self) -> list[tuple[str, dict[str, str], float]]:
        status, body = self.http("GET", "/metrics")
        assert status == 200, status
        return parse_prometheus(body.decode())

    def metric(self, name: str, **labels: str) -> float:
        """Sum of every sample of `name` whose labels include `labels` (0 when absent)."""
        return sum(value for sample, sample_labels, value in self.metrics()
                   if sample == name and all(sample_labels.get(k) == v for k, v in labels.items()))

    # process ----------------------------------------------------------------

    def kafka_sockets(self, ports: set[int]) -> int:
        return established_sockets(self.pid, ports)

    def proc_status(self, field: str) -> str:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        raise KeyError(field)

    def assert_alive(self) -> None:
        code = self.process.poll()
        assert code is None, f"scaler exited with {code}; last logs: {''.join(self.log_lines[-20:])}"

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait; returns the exit code (kills and fails after `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"scaler did not exit within {timeout} s of SIGTERM")
        finally:
            self.channel.close()


# ---------------------------------------------------------------------------
# Attack tests


class AttackerBroker:
    """Accepts on 127.0.0.1 and records what each connection sends; with `hold`, keeps
    every connection open without ever answering (a black hole), else closes it."""

    def __init__(self, hold: bool = False):
        self.hold = hold
        self.held: list[socket.socket] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.received: list[bytes] = []
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(0.5)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            if self.hold:
                self.held.append(conn)
            else:
                conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.listener.close()
        for conn in self.held:
            conn.close()


# ---------------------------------------------------------------------------
# Helpers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Waits until something accepts connections on 127.0.0.1:`port`."""
    def accepts() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False
    wait_until(accepts, timeout, f"127.0.0.1:{port} to accept connections")


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def established_sockets(pid: int, ports: set[int]) -> int:
    """Established TCP sockets of process `pid` whose remote port is one of `ports`
    (from /proc/<pid>/net/tcp{,6} joined with the socket inodes of /proc/<pid>/fd)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if state == "01" and inode in inodes and int(remote.rsplit(":", 1)[1], 16) in ports:
                count += 1
    return count


def trigger(cluster_or_bootstrap, group: str, topic: str, **extra) -> dict[str, str]:
    """Trigger metadata as KEDA sends it: the in-tree kafka keys plus ours, all strings."""
    bootstrap = cluster_or_bootstrap if isinstance(cluster_or_bootstrap, str) else cluster_or_bootstrap.bootstrap
    metadata = {"scalerAddress": "kks:6000", "bootstrapServers": bootstrap, "consumerGroup": group, "topic": topic}
    metadata.update({key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in extra.items()})
    return metadata


# ---------------------------------------------------------------------------
# The independent lag computation (kafka-python, without joining the group)


def read_offsets(bootstrap: str, group: str, topic: str) -> tuple[dict[int, int], dict[int, int]]:
    """(log-end offsets, committed offsets) per partition, read with kafka-python: a KafkaConsumer
    that never subscribes, so it never joins the group; `end_offsets` sends ListOffsets for the
    log end and `committed` sends OffsetFetch for the group. Protocol level 0.10.2, because
    librdkafka 2.0's mock answers Metadata v0-v3 only and kafka-python cannot decode its reply
    to a newer ApiVersions probe. A partition without a committed offset is absent from the
    second map."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False,
                             request_timeout_ms=10000, api_version=(0, 10, 2))
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        assert partitions, f"kafka-python sees no partitions of {topic}"
        tps = [TopicPartition(topic, p) for p in partitions]
        end = {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
        committed = {}
        for tp in tps:
            offset = consumer.committed(tp)
            if offset is not None and offset >= 0:
                committed[tp.partition] = offset
        return end, committed
    finally:
        consumer.close(autocommit=False)


def keda_expectation(end: dict[int, int], committed: dict[int, int], *, lag_threshold: int = 10, activation: int = 0,
                     policy: str = "latest", allow_idle: bool = False, scale_to_zero: bool = False) -> tuple[int, bool]:
    """(metric, active) by KEDA ≥ 2.20's rules (getLagForPartition + getTotalLag, reference §4)."""
    total = 0
    for partition, log_end in end.items():
        offset = committed.get(partition, -1)
        if offset == -1:
            if policy == "latest":
                lag = 0 if scale_to_zero else 1
            else:
                lag = 0 if scale_to_zero else log_end
        else:
            lag = log_end - offset
        total += lag
    metric = total
    if not allow_idle:
        upper = len(end)
        quotient = int(metric / lag_threshold)  # Go integer division truncates toward zero
        if quotient > upper:
            metric = upper * lag_threshold
    return max(metric, 0), total > activation


def expected_for(cluster: MockCluster, group: str, topic: str, **rules) -> tuple[int, bool]:
    end, committed = read_offsets(cluster.bootstrap, group, topic)
    return keda_expectation(end, committed, **rules)


# ---------------------------------------------------------------------------
# Authentication tests (SASL fronts, token endpoints)


def write_profile(directory: Path, **files: str) -> None:
    """An auth profile as a mounted Secret: one file per key (existing files are replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, value in files.items():
        (directory / key).write_text(value)


def assert_no_secret(server: "Scaler", secrets, *texts: str) -> None:
    """None of `secrets` in `texts`, the scaler's logs, /registry or /metrics."""
    seen = [*texts, "".join(server.log_lines), str(server.registry()), server.http("GET", "/metrics")[1].decode()]
    for text in seen:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text[:300]}"


def assert_unauthenticated_in_time(server: "Scaler", name: str, metadata: dict[str, str], deadline: float = 2) -> str:
    """GetMetrics is UNAUTHENTICATED, answered within the caller's `deadline`; returns the details."""
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        server.get_metrics(name, metadata, timeout=deadline)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED, failure.value.details()
    assert time.monotonic() - started < deadline + 0.5
    return failure.value.details()


def probe(binary: Path, server: "Scaler", metadata: dict[str, str]) -> subprocess.CompletedProcess:
    """`keda-kafka-scaler probe` against `server` with `metadata`, as an operator runs it."""
    args = [str(binary), "probe", "--address", server.address, "--name", "probed", "--timeout", "10"]
    for key, value in metadata.items():
        args += ["--metadata", f"{key}={value}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def assert_probe_serves(binary: Path, server: "Scaler", metadata: dict[str, str], lag: int, secrets=()) -> None:
    """probe exits 0, GetMetrics shows `lag`, and no secret is printed."""
    result = probe(binary, server, metadata)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"metricValue={lag}" in result.stdout
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
