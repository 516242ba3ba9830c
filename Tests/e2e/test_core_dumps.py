"""Issue 11, attack 6: a core dump (or a ptrace read) of the scaler would hold every auth
profile's secrets, so `serve` makes itself non-dumpable unless --allow-core-dumps true.

The kernel ties access to another process's memory and environment to the dumpable flag:
a process of the same (unprivileged) user can read /proc/<pid>/environ of a dumpable
process, not of a non-dumpable one. Both run here as `nobody` through setpriv."""
import shutil
import subprocess
import time

import pytest


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def environ_readable_by_the_same_user(kks_binary, *extra: str) -> bool:
    process = subprocess.Popen([*NOBODY, kks_binary, "serve", "--host", "127.0.0.1", "--port", "0", "--ops-port", "0", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if "gRPC server listening" in line:
                break
        else:
            pytest.fail("serve did not start as nobody")
        read = subprocess.run([*NOBODY, "cat", f"/proc/{process.pid}/environ"], capture_output=True, timeout=10)
        return read.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is needed to run as another user")
def test_serve_is_not_dumpable_unless_allowed(kks_binary):
    assert not environ_readable_by_the_same_user(kks_binary), "serve must set PR_SET_DUMPABLE 0"
    assert environ_readable_by_the_same_user(kks_binary, "--allow-core-dumps", "true"), "the opt-out leaves it dumpable"
