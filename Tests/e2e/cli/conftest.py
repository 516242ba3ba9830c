"""Fixtures for the CLI end-to-end tests: the built binaries, a kafka-mock-cluster
process driven over stdin, and a `keda-kafka-scaler serve` process with its ops port.
Everything binds 127.0.0.1 on free ports and is stopped at the end."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """A port that was just bound and released, so nothing listens on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="session")
def bin_path() -> Path:
    """`swift build --show-bin-path`, after building the two executables the tests run."""
    for product in ("keda-kafka-scaler", "kafka-mock-cluster"):
        subprocess.run(["swift", "build", "--product", product], cwd=REPO, check=True, timeout=1800,
                       stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True,
                          text=True, timeout=300).stdout.strip()
    return Path(path)


@pytest.fixture(scope="session")
def cli(bin_path):
    """Runs `keda-kafka-scaler ARGS...` to completion and returns the CompletedProcess."""
    def run(*args, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KKS_")}
        environment.update(env or {})
        return subprocess.run([str(bin_path / "keda-kafka-scaler"), *args], capture_output=True, text=True,
                              timeout=timeout, env=environment, stdin=subprocess.DEVNULL)
    return run


class MockCluster:
    """A kafka-mock-cluster process: `bootstrap` servers and a line-command channel."""

    def __init__(self, bin_path: Path, topics: list[str]):
        args = [str(bin_path / "kafka-mock-cluster"), "--brokers", "3"]
        for topic in topics:
            args += ["--topic", topic]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        hello = json.loads(self.process.stdout.readline())
        assert hello["ok"], hello
        self.bootstrap = hello["bootstrap"]

    def send(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        assert reply["ok"], f"{command}: {reply}"
        return reply

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("quit")
                self.process.wait(timeout=15)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def kafka(bin_path):
    """A 3-broker mock cluster with topic `orders` (3 partitions)."""
    cluster = MockCluster(bin_path, ["orders:3"])
    yield cluster
    cluster.stop()


class Scaler:
    """A `keda-kafka-scaler serve` process on free gRPC and ops ports."""

    def __init__(self, bin_path: Path, extra: list[str] | None = None):
        self.port = free_port()
        self.ops_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.ops_address = f"127.0.0.1:{self.ops_port}"
        # Logs go to a file: an unread pipe would fill up and block the server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [str(bin_path / "keda-kafka-scaler"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--ops-port", str(self.ops_port), "--shutdown-grace", "3", *(extra or [])],
            stdout=subprocess.DEVNULL, stderr=self.log, text=True,
        )
        wait_for_port(self.port)
        wait_for_port(self.ops_port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture(scope="module")
def scaler(bin_path):
    server = Scaler(bin_path)
    yield server
    server.stop()
