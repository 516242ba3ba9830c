"""The soak benchmark (bench/soak, issue 13 §5) as a 60 s test: 200 triggers on 2 mock
clusters, 20 StreamIsActive streams, KEDA's loop every 5 s, cluster 0 down 10 s / up 10 s,
configVersion bumps and auth-profile rewrites. No unexpected failure, no crash (the scaler
exits 0 on SIGTERM), samples written, and RSS at most doubles; the leak criterion proper
needs the 5-minute warm-up of the long run (`make soak`)."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[3] / "bench" / "soak" / "soak.py"


@pytest.mark.slow
@pytest.mark.time_limit(75)
def test_soak_for_a_minute(binaries, tmp_path):
    started = time.monotonic()
    command = [sys.executable, str(SOAK), "--scaler", str(binaries["scaler"]), "--mock", str(binaries["mock"]),
               "--duration", "60", "--triggers", "200", "--clusters", "2", "--streams", "20", "--interval", "5",
               "--flap-period", "20", "--sample", "2", "--out", str(tmp_path)]
    # Its own process group, so that the scaler and mock clusters it started go with it on a timeout.
    soak = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = soak.communicate(timeout=73)
    finally:
        if soak.poll() is None:
            os.killpg(soak.pid, signal.SIGKILL)
            soak.wait()
    assert soak.returncode == 0, output[-4000:]
    assert "[PASS] unexpected failures: 0" in output, output[-4000:]
    assert "[PASS] crashes: 0" in output, output[-4000:]

    with (tmp_path / "soak.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 25, rows  # one sample every 2 s for 60 s
    assert sum(int(row["calls"]) for row in rows) > 3000, "the load ran"
    assert sum(int(row["failed_unexpected"]) for row in rows) == 0
    assert sum(int(row["failed_expected"]) for row in rows) > 0, "cluster 0's outages were seen"
    rss = [float(row["rss_mib"]) for row in rows]
    assert rss[-1] <= 2 * rss[0], f"RSS grew from {rss[0]} to {rss[-1]} MiB in a minute"
    assert (tmp_path / "soak.png").stat().st_size > 10_000
    assert time.monotonic() - started <= 75
