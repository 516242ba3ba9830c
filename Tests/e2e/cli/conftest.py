"""Fixtures for the CLI end-to-end tests: the built binaries, a mock Kafka cluster and a
`keda-kafka-scaler serve` process with its ops port (the shared scaler_harness), all on
127.0.0.1 and stopped at the end."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from scaler_harness import MockCluster, Scaler, Stubs, binary_paths


@pytest.fixture(scope="session")
def bin_path() -> Path:
    """The directory of the scaler and mock-cluster binaries under test."""
    paths = binary_paths()
    for name, path in paths.items():
        if not path.is_file():
            pytest.fail(f"{name} binary not found at {path}; run `swift build` first")
    return paths["scaler"].parent


@pytest.fixture(scope="session")
def cli(bin_path):
    """Runs `keda-kafka-scaler ARGS...` to completion and returns the CompletedProcess."""
    def run(*args, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KKS_")}
        environment.update(env or {})
        return subprocess.run([str(bin_path / "keda-kafka-scaler"), *args], capture_output=True, text=True,
                              timeout=timeout, env=environment, stdin=subprocess.DEVNULL)
    return run


@pytest.fixture(scope="module")
def kafka(bin_path):
    """A 3-broker mock cluster with topic `orders` (3 partitions)."""
    cluster = MockCluster(bin_path / "kafka-mock-cluster", 3, {"orders": 3})
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def scaler(bin_path):
    with tempfile.TemporaryDirectory(prefix="kks-cli-stubs-") as directory:
        server = Scaler(bin_path / "keda-kafka-scaler", Stubs(directory), ["--shutdown-grace", "3"])
        yield server
        code = server.terminate()
        assert code == 0, f"scaler exited {code} on SIGTERM: {''.join(server.log_lines[-20:])}"
