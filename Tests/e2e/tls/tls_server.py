"""Runs the real keda-kafka-scaler binary with TLS flags and follows its JSON log."""
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
SHUTDOWN_GRACE = 3


def binary_path():
    """The binary under test: $KKS_BINARY, else the debug build of this checkout."""
    explicit = os.environ.get("KKS_BINARY")
    if explicit:
        return explicit
    bin_dir = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=REPO_ROOT, check=True,
        capture_output=True, text=True, timeout=120,
    ).stdout.strip()
    return str(pathlib.Path(bin_dir) / "keda-kafka-scaler")


def serve_command(binary, *extra_args):
    return [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--ops-port", "0", "--log-format", "json",
            "--shutdown-grace", str(SHUTDOWN_GRACE), *extra_args]


def run_to_exit(binary, *extra_args, env=None, timeout=START_TIMEOUT):
    """Runs `serve` expecting it to stop by itself (a start-up error); returns (status, stderr)."""
    completed = subprocess.run(
        serve_command(binary, *extra_args), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )
    return completed.returncode, completed.stderr


class ServerProcess:
    """One running `keda-kafka-scaler serve` with its parsed log."""

    def __init__(self, binary, *extra_args, env=None):
        self.logs = []
        self._lines = threading.Condition()
        self.proc = subprocess.Popen(
            serve_command(binary, *extra_args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        listening = self.wait_for_log("gRPC server listening", START_TIMEOUT)
        self.port = int(listening["grpc.port"])
        self.tls_mode = listening.get("grpc.tls")

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"message": line, "unparsed": True}
            with self._lines:
                self.logs.append(entry)
                self._lines.notify_all()
        with self._lines:
            self._lines.notify_all()

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def count(self, message):
        with self._lines:
            return sum(1 for entry in self.logs if entry.get("message", "").startswith(message))

    def wait_for_log(self, message, timeout, after=0):
        """The first log entry whose message starts with `message`, beyond the first `after` such entries."""
        deadline = time.monotonic() + timeout
        with self._lines:
            while True:
                matches = [entry for entry in self.logs if entry.get("message", "").startswith(message)]
                if len(matches) > after:
                    return matches[after]
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited with {self.proc.returncode} while waiting for "
                                         f"{message!r}:\n{self.log_text()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {message!r} log within {timeout}s:\n{self.log_text()}")
                self._lines.wait(min(remaining, 0.2))

    def log_text(self, last=60):
        with self._lines:
            return "\n".join(json.dumps(entry) for entry in self.logs[-last:])

    def stop(self):
        """SIGTERM, SIGKILL if the grace runs out; returns the exit status (None when killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(SHUTDOWN_GRACE + STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            code = None
        self._reader.join(2)
        return code
