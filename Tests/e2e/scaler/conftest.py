"""Fixtures for the scaler end-to-end suites (helpers live in scaler_harness.py):
binaries, generated stubs, mock clusters and scaler processes that are always stopped,
and a wall-time bound on every test.
"""

from __future__ import annotations

import signal
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest

from scaler_harness import MockCluster, Scaler, Stubs, binary_paths

TEST_TIME_LIMIT = 120  # seconds; every test is bounded by SIGALRM (see bounded_in_time)


@pytest.fixture(scope="session")
def binaries() -> dict[str, Path]:
    paths = binary_paths()
    for name, path in paths.items():
        if not path.is_file():
            pytest.fail(f"{name} binary not found at {path}; run `swift build` first")
    return paths


@pytest.fixture(scope="session")
def stubs():
    """externalscaler stubs generated from proto/externalscaler.proto into a temp dir."""
    with tempfile.TemporaryDirectory(prefix="kks-stubs-") as directory:
        yield Stubs(directory)


@pytest.fixture(autouse=True)
def bounded_in_time(request):
    """Fails any test that runs longer than its limit (`@pytest.mark.time_limit(s)` or TEST_TIME_LIMIT)."""
    marker = request.node.get_closest_marker("time_limit")
    limit = int(marker.args[0]) if marker else TEST_TIME_LIMIT

    def expired(signum, frame):
        raise TimeoutError(f"test exceeded its time limit of {limit} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def pytest_configure(config):
    config.addinivalue_line("markers", "time_limit(seconds): bound the test's wall time")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")


@pytest.fixture
def mock_cluster(binaries):
    """Factory: `mock_cluster(brokers=3, topics={"t": 3})`; every cluster is stopped at teardown."""
    clusters: list[MockCluster] = []

    def start(brokers: int = 3, topics: dict[str, int] | None = None) -> MockCluster:
        cluster = MockCluster(binaries["mock"], brokers, topics or {})
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.close()


@pytest.fixture
def scaler(binaries, stubs):
    """Factory: `scaler("--lag-cache-ttl", "0", ...)`. Each scaler must still be running at teardown
    (a crash fails the test) and must exit 0 on SIGTERM."""
    started: list[Scaler] = []

    def start(*extra: str, env: dict[str, str] | None = None) -> Scaler:
        process = Scaler(binaries["scaler"], stubs, list(extra), env)
        started.append(process)
        return process

    yield start
    failures = []
    for process in started:
        if process.process.returncode is not None:
            continue  # the test ended it itself and checked its exit
        crashed = process.process.poll()
        code = process.terminate()
        if crashed is not None:
            failures.append(f"scaler crashed with exit code {crashed}: {''.join(process.log_lines[-20:])}")
        elif code != 0:
            failures.append(f"scaler exited {code} on SIGTERM: {''.join(process.log_lines[-20:])}")
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture
def front_tls(tmp_path):
    """A self-signed certificate for 127.0.0.1, and the server context the fronts use."""
    key, cert = tmp_path / "front.key", tmp_path / "front.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-subj", "/CN=kafka-front", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert.read_text()


@pytest.fixture
def closing():
    """`closing(thing)` returns `thing` and closes it at teardown (last first): for test
    servers such as SASL fronts and token endpoints."""
    things = []

    def register(thing):
        things.append(thing)
        return thing

    yield register
    for thing in reversed(things):
        thing.close()


@pytest.fixture
def lagging_cluster(mock_cluster):
    """Two brokers, topic `t` of 3 partitions, group `g` lagging 5 + 7 + 9 = 21 behind."""
    cluster = mock_cluster(brokers=2, topics={"t": 3})
    cluster.set_lags("g", "t", [5, 7, 9])
    return cluster
