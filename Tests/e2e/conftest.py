"""Fixtures that run the real keda-kafka-scaler binary, and a per-test time limit."""
import os
import signal

import pytest

import kks_server

# Files the tests write (auth profiles, tokens, keys) are private, as mounted Secrets are:
# the scaler refuses auth-profile files readable by others.
os.umask(0o077)

TEST_TIME_LIMIT = 30
SLOW_TEST_TIME_LIMIT = 120


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (still part of every run)")
    config.addinivalue_line("markers", "time_limit(seconds): this test's own time limit")


class TestTimeLimitExceeded(Exception):
    """Raised inside a test that outlives its time limit."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    own = item.get_closest_marker("time_limit")
    limit = own.args[0] if own else SLOW_TEST_TIME_LIMIT if item.get_closest_marker("slow") else TEST_TIME_LIMIT

    def expire(signum, frame):
        raise TestTimeLimitExceeded(f"{item.nodeid} ran longer than {limit}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def kks_binary():
    path = kks_server.binary_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"server binary {path} is missing or not executable (set KKS_BINARY or run swift build)")
    return path


class _Shared:
    server = None


@pytest.fixture(scope="session")
def _shared_server(kks_binary):
    yield _Shared
    if _Shared.server is not None:
        code, elapsed = _Shared.server.stop()
        assert code == 0, f"shared server exited with {code} after SIGTERM:\n{_Shared.server.log_text()}"


@pytest.fixture
def server(_shared_server, kks_binary):
    """The session's server; the test fails if the server is dead afterwards (it is then restarted)."""
    if _Shared.server is None or _Shared.server.proc.poll() is not None:
        _Shared.server = kks_server.ServerProcess(kks_binary)
    current = _Shared.server
    yield current
    reason = current.crashed()
    if reason:
        _Shared.server = None
        pytest.fail(f"{reason}\n{current.log_text()}")


@pytest.fixture
def fresh_server(kks_binary):
    """A server of the test's own, for tests that shut it down; stopped afterwards in any case."""
    current = kks_server.ServerProcess(kks_binary)
    yield current
    reason = current.crashed()
    code, _ = current.stop()
    if reason:
        pytest.fail(f"{reason}\n{current.log_text()}")
    if code != 0:
        pytest.fail(f"server exited with {code} after SIGTERM (None: killed)\n{current.log_text()}")
