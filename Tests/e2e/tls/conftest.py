"""Fixtures for the TLS end-to-end tests: certificates made by openssl, and servers started with TLS flags."""
import shutil

import pytest

import kks_server
import tls_clients
import tls_material


@pytest.fixture(scope="session")
def material(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make the test certificates")
    return tls_material.Material(tmp_path_factory.mktemp("tls-material"))


@pytest.fixture
def start_server(kks_binary):
    """Starts servers with the given extra arguments; each is stopped afterwards and must exit 0."""
    started = []

    def start(*extra_args, env=None):
        server = kks_server.ServerProcess(kks_binary, shutdown_grace=tls_clients.SHUTDOWN_GRACE, extra_args=extra_args, env=env)
        started.append(server)
        return server

    yield start
    failures = []
    for server in started:
        code, _ = server.stop()
        if code != 0:
            failures.append(f"server exited with {code} after SIGTERM:\n{server.log_text()}")
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture
def cert_dir(tmp_path):
    """A directory the test rewrites, as cert-manager rewrites a mounted Secret."""
    directory = tmp_path / "mounted"
    directory.mkdir()
    return directory
