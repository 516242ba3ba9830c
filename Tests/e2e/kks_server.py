"""Starts the real keda-kafka-scaler binary on an ephemeral port and stops it again.

The server announces its port in a JSON log line on stderr; every line is kept so a
failing test can show what the server said.
"""
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


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


def run_to_exit(binary, *extra_args, env=None, timeout=START_TIMEOUT):
    """Runs `serve` expecting it to stop by itself (a start-up error); returns (status, stderr)."""
    completed = subprocess.run(
        [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--ops-port", "0", "--log-format", "json", *extra_args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )
    return completed.returncode, completed.stderr


class ServerProcess:
    """One running `keda-kafka-scaler serve` with its parsed log."""

    def __init__(self, binary, shutdown_grace=5, via_environment=False, extra_args=(), env=None):
        """Passes the settings as flags, or (`via_environment`) as their KKS_* variables;
        `extra_args` are further `serve` flags and `env` further environment variables."""
        self.host = "127.0.0.1"
        self.shutdown_grace = shutdown_grace
        self.logs = []
        self._lines = threading.Condition()
        # The ops port is off: parallel servers would contend for its default 8080.
        settings = {"host": self.host, "port": "0", "ops-port": "0", "log-format": "json", "shutdown-grace": str(shutdown_grace)}
        env = {**os.environ, **(env or {})}
        argv = [binary, "serve"]
        for name, value in settings.items():
            if via_environment:
                env["KKS_" + name.upper().replace("-", "_")] = value
            else:
                argv += ["--" + name, value]
        argv += list(extra_args)
        self.proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.sigterm_at = None
        try:
            listening = self.wait_for_log("gRPC server listening", START_TIMEOUT)
        except AssertionError:
            self.kill()
            raise
        self.port = int(listening["grpc.port"])
        self.tls_mode = listening.get("grpc.tls")

    @property
    def target(self):
        return f"{self.host}:{self.port}"

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

    def count(self, message):
        """How many log entries start with `message`."""
        with self._lines:
            return sum(1 for entry in self.logs if entry.get("message", "").startswith(message))

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def assert_fds_settle(self, before, slack=2, timeout=5.0):
        """Closed connections are released: the fd count comes back to `before` (+ slack)."""
        deadline = time.monotonic() + timeout
        while self.open_fds() > before + slack and time.monotonic() < deadline:
            time.sleep(0.1)
        now = self.open_fds()
        assert now <= before + slack, f"server holds {now} fds after its clients went away, {before} before"

    def log_text(self, last=60):
        with self._lines:
            return "\n".join(json.dumps(e) for e in self.logs[-last:])

    def crashed(self):
        """A reason if the process died without being asked to, else None."""
        code = self.proc.poll()
        if code is None or self.sigterm_at is not None:
            return None
        return f"server process ended unexpectedly with status {code}"

    def sigterm(self):
        self.sigterm_at = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self):
        """SIGTERM (unless already sent), SIGKILL after the grace; returns (exit status, seconds since SIGTERM)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        if self.sigterm_at is None:
            self.sigterm()
        code = self.wait_exit(self.shutdown_grace + STOP_TIMEOUT)
        elapsed = time.monotonic() - self.sigterm_at
        if code is None:
            self.kill()
        self._reader.join(2)
        return code, elapsed
