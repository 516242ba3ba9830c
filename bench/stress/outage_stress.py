"""Outage stress (issue 12): loops the scenarios in which a pinned Kafka cluster fails and
comes back, against one long-running scaler, and counts crashes.

Each iteration uses a new ScaledObject (a new registry entry) on two librdkafka mock
clusters A and B, pins it to A with a read, then takes all of A's brokers down and
drives one scenario, in turn:
  failure-swap  B pending (same configVersion); GetMetrics fails over to B within the call
  reload        B pending; POST /registry/reload while the read through A is in flight
  version-swap  a read through A fails; the next request bumps configVersion to B
  pinned        nothing pending; reads through A fail until A is back, then serve A
then brings A back, and serves the entry (from B, or from A) for --settle seconds while
A's handles reconnect. Every --restart-every iterations the scaler gets SIGTERM during
an outage read and must exit 0 (the shutdown path); a new scaler takes over.

A crash is any scaler exit other than that. Prints a summary and, unless --no-record,
writes its dated section in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

from bench_results import machine, write_section  # noqa: E402
from scaler_harness import MockCluster, Scaler, Stubs, trigger  # noqa: E402

BEGIN, END = "<!-- stress:outage:begin -->", "<!-- stress:outage:end -->"
GROUP, TOPIC = "orders", "events"
SCENARIOS = ["failure-swap", "reload", "version-swap", "pinned"]
A_LAG, B_LAG = 20, 75


class Run:
    def __init__(self, args, stubs, a: MockCluster, b: MockCluster):
        self.args, self.stubs, self.a, self.b = args, stubs, a, b
        self.crashes: list[str] = []
        self.failures: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.restarts = 0
        self.server = self.start()

    def start(self) -> Scaler:
        extra = ["--kafka-timeout", str(self.args.kafka_timeout), "--lag-cache-ttl", "0"]
        return Scaler(self.args.scaler, self.stubs, extra)

    def source(self, cluster: MockCluster, version: int = 0) -> dict[str, str]:
        return trigger(cluster, GROUP, TOPIC, lagThreshold=1000, configVersion=version)

    def metrics(self, name: str, metadata: dict[str, str], timeout: float) -> int | None:
        try:
            return self.server.get_metrics(name, metadata, timeout=timeout)
        except grpc.RpcError:
            return None

    def check_alive(self, where: str) -> bool:
        code = self.server.process.poll()
        if code is None:
            return True
        self.crashes.append(f"{where}: exit {code}: {''.join(self.server.log_lines[-5:])[-400:]}")
        self.server = self.start()
        return False

    def iteration(self, index: int) -> None:
        scenario = SCENARIOS[index % len(SCENARIOS)]
        name = f"stress-{index}"
        timeout = self.args.kafka_timeout * 3 + 2
        if self.metrics(name, self.source(self.a), timeout) != A_LAG:
            self.failures["pin A"] += 1
        if scenario in ("failure-swap", "reload") and self.metrics(name, self.source(self.b), timeout) != A_LAG:
            self.failures["drift to B"] += 1  # B pending, still served from A
        self.a.down_all()
        try:
            if scenario == "failure-swap":
                served = self.metrics(name, self.source(self.b), timeout)
                expected, final = B_LAG, self.source(self.b)
            elif scenario == "reload":
                reader = threading.Thread(target=self.metrics, args=(name, self.source(self.b), timeout), daemon=True)
                reader.start()
                time.sleep(0.2)
                status, _ = self.server.http("POST", f"/registry/reload?namespace=e2e&name={name}")
                reader.join(timeout + 1)
                served = self.metrics(name, self.source(self.b), timeout) if status == 200 else None
                expected, final = B_LAG, self.source(self.b)
            elif scenario == "version-swap":
                self.metrics(name, self.source(self.a), timeout)
                served = self.metrics(name, self.source(self.b, version=1), timeout)
                expected, final = B_LAG, self.source(self.b, version=1)
            else:
                self.metrics(name, self.source(self.a), timeout)
                served, expected, final = A_LAG, A_LAG, self.source(self.a)
            if served != expected:
                self.failures[f"{scenario}: served {served}"] += 1
        finally:
            self.a.up_all()
        settle = time.monotonic() + self.args.settle
        while time.monotonic() < settle:
            if not self.check_alive(f"iteration {index} ({scenario}) after A came back"):
                return
            self.metrics(name, final, timeout)
            time.sleep(0.25)
        if self.check_alive(f"iteration {index} ({scenario})"):
            self.done[scenario] += 1

    def restart_during_outage(self) -> None:
        name = f"stress-restart-{self.restarts}"
        timeout = self.args.kafka_timeout * 3 + 2
        self.metrics(name, self.source(self.a), timeout)
        self.metrics(name, self.source(self.b), timeout)
        self.a.down_all()
        reader = threading.Thread(target=self.metrics, args=(name, self.source(self.b), timeout), daemon=True)
        reader.start()
        time.sleep(0.3)
        self.a.up_all()
        try:
            code = self.server.terminate(timeout=30)
        except AssertionError as error:
            code = str(error)
        reader.join(timeout + 1)
        if code != 0:
            self.crashes.append(f"shutdown {self.restarts}: exit {code}")
        self.done["shutdown"] += 1
        self.restarts += 1
        self.server = self.start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaler", type=Path, required=True)
    parser.add_argument("--mock", type=Path, required=True)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--kafka-timeout", type=int, default=1, help="the scaler's --kafka-timeout, seconds")
    parser.add_argument("--settle", type=float, default=2.5, help="seconds each iteration serves after A is back")
    parser.add_argument("--restart-every", type=int, default=25)
    parser.add_argument("--build", default="release")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kks-stress-") as directory:
        stubs = Stubs(directory)
        a = MockCluster(args.mock, 1, {TOPIC: 2})
        b = MockCluster(args.mock, 1, {TOPIC: 2})
        try:
            for cluster, lags in ((a, [8, 12]), (b, [40, 35])):
                cluster.set_lags(GROUP, TOPIC, lags, committed=5)
            run = Run(args, stubs, a, b)
            for index in range(args.iterations):
                run.iteration(index)
                if args.restart_every and (index + 1) % args.restart_every == 0:
                    run.restart_during_outage()
                if (index + 1) % 25 == 0:
                    print(f"{index + 1}/{args.iterations} iterations, {len(run.crashes)} crashes", flush=True)
            run.check_alive("end")
            run.server.terminate()
        finally:
            a.close()
            b.close()
    minutes = (time.monotonic() - started) / 60
    iterations = sum(count for scenario, count in run.done.items() if scenario != "shutdown")
    summary = (f"{iterations} outage iterations ({', '.join(f'{s} {run.done[s]}' for s in SCENARIOS)}), "
               f"{run.done['shutdown']} shutdowns during an outage read: {len(run.crashes)} crashes")
    print(summary)
    for crash in run.crashes:
        print("crash:", crash)
    for failure, count in run.failures.items():
        print(f"unexpected answer ×{count}: {failure}")
    if not args.no_record:
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        body = f"""## Outage stress: a failed pinned cluster comes back (issue 12) ({when})

Machine: {machine()}. Written by `bash bench/stress/run.sh` ({args.build} build at commit {commit}), {minutes:.1f} min.
One scaler process (`--kafka-timeout {args.kafka_timeout} --lag-cache-ttl 0`), two 1-broker mock clusters;
each iteration pins a new entry to A, takes A down, drives one scenario, brings A back and serves for
{args.settle} s while A's handles reconnect; every {args.restart_every} iterations a SIGTERM lands during an outage read.

| iterations | failure-swap | reload | version-swap | pinned | shutdowns | crashes | unexpected answers |
|---:|---:|---:|---:|---:|---:|---:|---:|
| {iterations} | {run.done['failure-swap']} | {run.done['reload']} | {run.done['version-swap']} | {run.done['pinned']} | {run.done['shutdown']} | {len(run.crashes)} | {sum(run.failures.values())} |
"""
        write_section(args.results, BEGIN, END, body)
    return 1 if run.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
