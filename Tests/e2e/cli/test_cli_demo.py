"""`keda-kafka-scaler demo`: the embedded cluster, the moving workload and the live view."""

import json
import signal
import subprocess
import time
import urllib.request

from scaler_harness import free_port, wait_for_port


def test_demo_with_duration_prints_frames_and_exits_0(cli):
    started = time.monotonic()
    result = cli("demo", "--duration", "4", timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    shown = [chunk for chunk in result.stdout.split("keda-kafka-scaler demo")[1:]]
    assert len(shown) >= 3, result.stdout
    metric_lines = [line for line in result.stdout.splitlines() if line.startswith("metric ")]
    assert len(metric_lines) >= 3, result.stdout
    assert all("kafka-orders = " in line for line in metric_lines)
    assert "\x1b[" not in result.stdout  # not a terminal: plain appended frames
    for name in ("GetMetricSpec", "GetMetrics", "IsActive", "replicas", "total lag"):
        assert name in result.stdout
    assert "mock Kafka cluster destroyed" in result.stderr


def test_demo_lag_moves(cli):
    result = cli("demo", "--duration", "5", timeout=60)
    assert result.returncode == 0, result.stderr
    totals = [int(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("total lag ")]
    assert len(totals) >= 3
    assert len(set(totals)) > 1, totals  # the workload drifts: lag changes frame to frame


def test_ctrl_c_ends_the_demo_cleanly(bin_path):
    process = subprocess.Popen([str(bin_path / "keda-kafka-scaler"), "demo"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        seen = 0
        while seen < 2 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("keda-kafka-scaler demo"):
                seen += 1
        assert seen == 2
        process.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        _, stderr = process.communicate(timeout=15)
        assert process.returncode == 0, stderr
        assert time.monotonic() - stopped < 10
        assert "mock Kafka cluster destroyed" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_demo_serves_the_ops_port_when_asked(bin_path):
    ops_port = free_port()
    process = subprocess.Popen([str(bin_path / "keda-kafka-scaler"), "demo", "--duration", "8", "--ops-port", str(ops_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(ops_port)
        deadline = time.monotonic() + 6
        entries = []
        while not entries and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{ops_port}/registry", timeout=5) as response:
                entries = json.load(response)["entries"]
            time.sleep(0.2)
        assert [(e["namespace"], e["name"]) for e in entries] == [("demo", "orders-processor")]
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
