"""Soak benchmark (issue 13 §5, driven by bench/soak/run.sh): one scaler process under a
KEDA-like load for a long time, while a cluster flaps, configVersions move and auth-profile
files are rewritten; samples the process and fails on unexpected errors, leaks or a crash.

Load: --triggers ScaledObjects spread round-robin over --clusters librdkafka mock clusters
(3 brokers each, --topics topics of --partitions partitions; every ScaledObject has its own
consumer group, never committed, so under `offsetResetPolicy: latest` each partition lags 1:
GetMetrics must answer --partitions and IsActive true). Every trigger runs KEDA's loop at its
own random phase: GetMetricSpec when it is new or changed, then GetMetrics and IsActive once
per --interval. --streams StreamIsActive streams (on random triggers, pushInterval 5)
stay open on the same HTTP/2 connection (KEDA multiplexes everything on one); one that ends
is counted and re-opened, and a stream whose trigger changes is re-opened with the new
metadata, as KEDA restarts it. A quarter of each cluster's triggers name its auth profile.

Disturbances:
  flap     cluster 0's brokers all go down for --flap-period/2 s, then up for --flap-period/2 s
           (first down at --flap-period/2 after the load starts);
  bumps    --bumps-per-minute random triggers (default 1% of them) get configVersion + 1 and
           another topic on the same cluster (a version swap);
  profiles --profile-rewrites-per-minute times a profile is rewritten the way the kubelet
           updates a mounted Secret (new `..<timestamp>` folder, atomic `..data` symlink swap):
           a new password (unused: the profiles set no SASL, the mock speaks PLAINTEXT) and a
           reformatted allowedNamespaces; then one trigger using it is reloaded
           (POST /registry/reload?namespace=soak&name=...), which re-reads the files.

A failure (an error status, a wrong value, a stream that ends, a reload that is not 200) is
*expected* when its trigger is on cluster 0 and the call's [start, end] overlaps an outage
extended by --recovery-window s after the brokers came back; anything else is *unexpected*.
The largest "failing call started N s after up" is measured and printed.

Every --sample s: RSS, open fds, threads (/proc), Kafka sockets (established TCP sockets of the
scaler to the brokers' ports), kafka_scaler_kafka_handles, p50/p99 of the window's successful
unary calls (client side), calls, expected and unexpected failures in the window. Writes
soak.csv and soak.png to --out; --record writes a dated section in bench/RESULTS.md.

Verdict: (1) no unexpected failure; (2) no leak: after --warmup s, RSS, fds and threads stay
within ±10% of the range seen over the first flap cycle (at least 60 s) after the warm-up (for
a run shorter than warm-up + that cycle: final RSS ≤ 2× the first sample); (3) no crash: the
scaler ran throughout and exits 0 on SIGTERM. Exit status 0 only when all three hold.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

from bench_results import machine, write_section  # noqa: E402
from scaler_harness import MockCluster, Scaler, Stubs, binary_paths, established_sockets, trigger  # noqa: E402

BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"
NAMESPACE = "soak"
PUSH_INTERVAL = 5
CALL_TIMEOUT = 10.0
CSV_COLUMNS = ["t", "rss_mib", "fds", "threads", "kafka_sockets", "handles", "p50_ms", "p99_ms", "calls",
               "failed_expected", "failed_unexpected"]
NAMESPACE_FORMATS = ["soak", "soak, team-*", "team-a\nsoak", "soak other"]


# ---------------------------------------------------------------------------
# Auth profiles laid out as a mounted Secret


class ProfileDirectory:
    """`<root>/<name>/` as the kubelet writes a Secret volume: keys are symlinks to `..data/<key>`,
    `..data` a symlink to a `..<timestamp>` folder replaced atomically on every update."""

    def __init__(self, root: Path):
        self.root = root
        self.rewrites = 0

    def write(self, name: str, files: dict[str, str]) -> None:
        directory = self.root / name
        directory.mkdir(mode=0o700, exist_ok=True)
        stamp = directory / f"..{datetime.now(timezone.utc).strftime('%Y_%m_%d_%H_%M_%S')}.{secrets.token_hex(4)}"
        stamp.mkdir(mode=0o700)
        for key, value in files.items():
            path = stamp / key
            path.write_text(value)
            path.chmod(0o400)
        data = directory / "..data"
        previous = os.readlink(data) if data.is_symlink() else None
        temporary = directory / "..data_tmp"
        temporary.unlink(missing_ok=True)
        os.symlink(stamp.name, temporary)
        os.replace(temporary, data)
        for key in files:
            link = directory / key
            if not link.is_symlink():
                os.symlink(f"..data/{key}", link)
        if previous:
            shutil.rmtree(directory / previous, ignore_errors=True)
        self.rewrites += 1

    def profile(self, cluster: int, variant: int) -> dict[str, str]:
        return {"username": f"soak-{cluster}", "password": secrets.token_urlsafe(18), "allowedBrokers": "127.0.0.1",
                "allowedNamespaces": NAMESPACE_FORMATS[variant % len(NAMESPACE_FORMATS)]}


# ---------------------------------------------------------------------------
# Bookkeeping


@dataclass
class Trigger:
    index: int
    cluster: int
    topic: str
    profile: str | None
    phase: float
    version: int = 0
    metric_name: str | None = None  # None until GetMetricSpec answered for the current metadata
    changed: asyncio.Event | None = None  # set on a bump, for the stream on this trigger

    @property
    def name(self) -> str:
        return f"so-{self.index}"


@dataclass
class Window:
    latencies: list[float] = field(default_factory=list)
    calls: int = 0
    failed_expected: int = 0
    failed_unexpected: int = 0


class Soak:
    def __init__(self, args, stubs: Stubs, clusters: list[MockCluster], profiles: ProfileDirectory, server: Scaler):
        self.args, self.stubs, self.clusters, self.profiles, self.server = args, stubs, clusters, profiles, server
        self.pb = stubs.pb
        self.rng = random.Random(args.seed)
        self.ports = set().union(*(cluster.ports for cluster in clusters))
        self.outages: list[list[float | None]] = []  # [down_at, up_at or None], monotonic
        self.window = Window()
        self.all_latencies: list[tuple[float, float, int]] = []  # (t, seconds, cluster) of successful unary calls
        self.totals = {"calls": 0, "expected": 0, "unexpected": 0, "streams_opened": 0, "stream_messages": 0,
                       "stream_ends": 0, "bumps": 0, "reloads": 0, "spec_calls": 0}
        self.by_method: dict[str, list[int]] = {}  # method -> [calls, expected, unexpected]
        self.unexpected_log: list[str] = []
        self.recovery_after_up: list[float] = []  # per outage: latest start of a failing call after up
        self.samples: list[dict] = []
        self.crash: str | None = None
        self.started = 0.0
        self.triggers: list[Trigger] = []
        for index in range(args.triggers):
            cluster = index % args.clusters
            self.triggers.append(Trigger(
                index=index, cluster=cluster, topic=f"t{self.rng.randrange(args.topics)}",
                profile=f"soak-c{cluster}" if (index // args.clusters) % 4 == 3 else None,
                phase=self.rng.uniform(0, args.interval)))

    # -- the client --------------------------------------------------------

    def metadata(self, t: Trigger) -> dict[str, str]:
        extra = {"lagThreshold": 10, "pushInterval": PUSH_INTERVAL, "configVersion": t.version}
        if t.profile:
            extra["authProfile"] = t.profile
        return trigger(self.clusters[t.cluster], f"group-{t.index}", t.topic, **extra)

    def ref(self, t: Trigger):
        return self.pb.ScaledObjectRef(name=t.name, namespace=NAMESPACE, scalerMetadata=self.metadata(t))

    def now(self) -> float:
        return time.monotonic() - self.started

    def expected(self, t: Trigger, start: float, end: float) -> bool:
        """Whether a failure of trigger `t` between monotonic `start` and `end` falls in an outage of cluster 0."""
        if t.cluster != 0:
            return False
        for down_at, up_at in self.outages:
            if down_at - 1.0 <= end and (up_at is None or start <= up_at + self.args.recovery_window):
                return True
        return False

    def record(self, t: Trigger, method: str, start: float, ok: bool, detail: str = "") -> None:
        end = time.monotonic()
        counts = self.by_method.setdefault(method, [0, 0, 0])
        counts[0] += 1
        self.window.calls += 1
        self.totals["calls"] += 1
        if ok:
            if method in ("GetMetrics", "IsActive", "GetMetricSpec"):
                self.window.latencies.append(end - start)
                self.all_latencies.append((end - self.started, end - start, t.cluster))
            return
        if self.expected(t, start, end):
            counts[1] += 1
            self.window.failed_expected += 1
            self.totals["expected"] += 1
            for index, (_, up_at) in enumerate(self.outages):
                next_down = self.outages[index + 1][0] if index + 1 < len(self.outages) else float("inf")
                if up_at is not None and up_at <= start and end < next_down:
                    self.note_recovery(index, start - up_at)
        else:
            counts[2] += 1
            self.window.failed_unexpected += 1
            self.totals["unexpected"] += 1
            if len(self.unexpected_log) < 50:
                self.unexpected_log.append(f"t={start - self.started:.1f}s {t.name} cluster {t.cluster} {method}: {detail}")

    def note_recovery(self, index: int, seconds: float) -> None:
        while len(self.recovery_after_up) <= index:
            self.recovery_after_up.append(0.0)
        self.recovery_after_up[index] = max(self.recovery_after_up[index], seconds)

    async def unary(self, stub, t: Trigger, method: str, request, check) -> bool:
        start = time.monotonic()
        try:
            reply = await getattr(stub, method)(request, timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as error:
            self.record(t, method, start, False, f"{error.code().name}: {error.details()}")
            return False
        problem = check(reply)
        self.record(t, method, start, problem is None, problem or "")
        return problem is None

    async def keda_loop(self, stub, t: Trigger, stop: asyncio.Event) -> None:
        """KEDA's polling of one ScaledObject: spec when new or changed, then GetMetrics and IsActive each interval."""
        tick = self.started + t.phase
        partitions = self.args.partitions
        while not stop.is_set():
            delay = tick - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    return
                except asyncio.TimeoutError:
                    pass
            tick += self.args.interval
            ref = self.ref(t)
            if t.metric_name is None:
                self.totals["spec_calls"] += 1
                names: list[str] = []

                def spec_ok(reply):
                    if len(reply.metricSpecs) != 1:
                        return f"{len(reply.metricSpecs)} metric specs"
                    names.append(reply.metricSpecs[0].metricName)
                    return None

                if not await self.unary(stub, t, "GetMetricSpec", ref, spec_ok):
                    continue
                t.metric_name = names[0]
            request = self.pb.GetMetricsRequest(scaledObjectRef=ref, metricName=t.metric_name)

            def metrics_ok(reply):
                values = [(v.metricName, v.metricValue) for v in reply.metricValues]
                return None if values == [(t.metric_name, partitions)] else f"wrong answer {values}"

            await self.unary(stub, t, "GetMetrics", request, metrics_ok)
            await self.unary(stub, t, "IsActive", ref, lambda reply: None if reply.result else "inactive")

    async def stream_loop(self, stub, t: Trigger, stop: asyncio.Event) -> None:
        """One StreamIsActive kept open; re-opened when it ends or when its trigger changes."""
        t.changed = asyncio.Event()
        await asyncio.sleep(t.phase)
        while not stop.is_set():
            t.changed.clear()
            call = stub.StreamIsActive(self.ref(t))
            self.totals["streams_opened"] += 1
            start = time.monotonic()

            async def pump() -> str:
                try:
                    async for message in call:
                        self.totals["stream_messages"] += 1
                        if not message.result:
                            return "pushed inactive"
                    return "ended by the server with OK"
                except grpc.aio.AioRpcError as error:
                    return f"ended with {error.code().name}: {error.details()}"

            pumping = asyncio.ensure_future(pump())
            stopping = asyncio.ensure_future(stop.wait())
            changing = asyncio.ensure_future(t.changed.wait())
            done, _ = await asyncio.wait({pumping, stopping, changing}, return_when=asyncio.FIRST_COMPLETED)
            for task in (stopping, changing):
                task.cancel()
            if pumping in done:
                call.cancel()
                self.totals["stream_ends"] += 1
                self.record(t, "StreamIsActive", start, False, pumping.result())
                await asyncio.sleep(1)
            else:
                call.cancel()
                pumping.cancel()
                await asyncio.gather(pumping, return_exceptions=True)

    # -- disturbances --------------------------------------------------------

    async def flapper(self, stop: asyncio.Event) -> None:
        half = self.args.flap_period / 2
        if half <= 0:
            return
        cluster = self.clusters[0]
        cycle = 0
        while True:
            down_at = self.started + cycle * self.args.flap_period + half
            if await self.sleep_until(down_at, stop):
                return
            self.outages.append([time.monotonic(), None])
            await asyncio.to_thread(cluster.down_all)
            up_at = self.started + (cycle + 1) * self.args.flap_period
            await self.sleep_until(up_at, stop)
            await asyncio.to_thread(cluster.up_all)
            self.outages[-1][1] = time.monotonic()
            cycle += 1
            if stop.is_set():
                return

    async def sleep_until(self, when: float, stop: asyncio.Event) -> bool:
        """Sleeps until monotonic `when`; True when `stop` was set first."""
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, when - time.monotonic()))
            return True
        except asyncio.TimeoutError:
            return False

    async def bumper(self, stop: asyncio.Event) -> None:
        if self.args.bumps_per_minute <= 0:
            return
        period = 60 / self.args.bumps_per_minute
        while not await self.sleep_until(time.monotonic() + period, stop):
            t = self.rng.choice(self.triggers)
            t.topic = self.rng.choice([f"t{i}" for i in range(self.args.topics) if f"t{i}" != t.topic] or [t.topic])
            t.version += 1
            t.metric_name = None
            if t.changed is not None:
                t.changed.set()
            self.totals["bumps"] += 1

    async def rewriter(self, stop: asyncio.Event) -> None:
        if self.args.profile_rewrites_per_minute <= 0:
            return
        period = 60 / self.args.profile_rewrites_per_minute
        while not await self.sleep_until(time.monotonic() + period, stop):
            cluster = self.rng.randrange(self.args.clusters)
            self.profiles.write(f"soak-c{cluster}", self.profiles.profile(cluster, self.profiles.rewrites))
            users = [t for t in self.triggers if t.profile == f"soak-c{cluster}" and t.metric_name is not None]
            if not users:
                continue
            t = self.rng.choice(users)
            start = time.monotonic()
            status, body = await asyncio.to_thread(self.server.http, "POST", f"/registry/reload?namespace={NAMESPACE}&name={t.name}")
            self.totals["reloads"] += 1
            self.record(t, "reload", start, status == 200, f"HTTP {status}: {body[:200]!r}")

    # -- sampling ------------------------------------------------------------

    def sample(self, t: float) -> dict:
        pid = self.server.pid
        window, self.window = self.window, Window()
        latencies = sorted(window.latencies)

        def quantile(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000 if latencies else float("nan")

        row = {"t": round(t, 1), "rss_mib": round(int(self.server.proc_status("VmRSS").split()[0]) / 1024, 1),
               "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(self.server.proc_status("Threads")),
               "kafka_sockets": established_sockets(pid, self.ports),
               "handles": int(self.server.metric("kafka_scaler_kafka_handles")),
               "p50_ms": round(quantile(0.5), 2), "p99_ms": round(quantile(0.99), 2), "calls": window.calls,
               "failed_expected": window.failed_expected, "failed_unexpected": window.failed_unexpected}
        return row

    async def sampler(self, stop: asyncio.Event) -> None:
        k = 1
        while True:
            when = self.started + k * self.args.sample
            if when > self.started + self.args.duration + 0.5 or await self.sleep_until(when, stop):
                return
            if self.server.process.poll() is not None:
                self.crash = f"scaler exited with {self.server.process.returncode} at t={self.now():.0f}s"
                stop.set()
                return
            try:
                row = await asyncio.to_thread(self.sample, k * self.args.sample)
            except (OSError, AssertionError, KeyError) as error:
                if self.server.process.poll() is not None:
                    continue  # reported as a crash at the next tick
                raise RuntimeError(f"sampling failed: {error}") from error
            self.samples.append(row)
            print(f"t={row['t']:>6.0f}s rss={row['rss_mib']:.1f}MiB fds={row['fds']} threads={row['threads']} "
                  f"sockets={row['kafka_sockets']} handles={row['handles']} p50={row['p50_ms']}ms p99={row['p99_ms']}ms "
                  f"calls={row['calls']} failed={row['failed_expected']}+{row['failed_unexpected']}", flush=True)
            k += 1

    # -- the run ---------------------------------------------------------------

    async def run(self) -> None:
        options = [("grpc.max_receive_message_length", 4 << 20)]
        async with grpc.aio.insecure_channel(self.server.address, options=options) as channel:
            await asyncio.wait_for(channel.channel_ready(), 30)
            stub = self.stubs.grpc.ExternalScalerStub(channel)
            stop = asyncio.Event()
            self.started = time.monotonic()
            streamed = sorted(self.rng.sample(self.triggers, min(self.args.streams, len(self.triggers))), key=lambda t: t.index)
            tasks = [asyncio.ensure_future(self.keda_loop(stub, t, stop)) for t in self.triggers]
            tasks += [asyncio.ensure_future(self.stream_loop(stub, t, stop)) for t in streamed]
            background = [asyncio.ensure_future(job(stop)) for job in (self.flapper, self.bumper, self.rewriter)]
            sampler = asyncio.ensure_future(self.sampler(stop))
            try:
                await self.sleep_until(self.started + self.args.duration + 0.2, stop)
                await sampler
            finally:
                stop.set()
                await asyncio.gather(*background, return_exceptions=True)
                await asyncio.sleep(0)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, sampler, return_exceptions=True)
                if self.outages and self.outages[-1][1] is None:
                    await asyncio.to_thread(self.clusters[0].up_all)
                    self.outages[-1][1] = time.monotonic()


# ---------------------------------------------------------------------------
# Verdict and reports


def leak_check(args, samples: list[dict]) -> tuple[bool, str, dict]:
    """RSS, fds and threads after the warm-up stay within ±10% of the range of the first flap cycle after it."""
    baseline_span = max(60.0, args.flap_period)
    after = [row for row in samples if row["t"] >= args.warmup]
    baseline = [row for row in after if row["t"] < args.warmup + baseline_span]
    if not after or not baseline or samples[-1]["t"] < args.warmup + baseline_span:
        first, last = samples[0]["rss_mib"], samples[-1]["rss_mib"]
        ok = last <= 2 * first
        return ok, (f"run shorter than the warm-up ({args.warmup:.0f} s) + {baseline_span:.0f} s: only checked RSS "
                    f"{first:.1f} → {last:.1f} MiB ≤ 2× the first sample"), {}
    bands, problems = {}, []
    for column in ("rss_mib", "fds", "threads"):
        low, high = min(row[column] for row in baseline), max(row[column] for row in baseline)
        band = (low * 0.9, high * 1.1)
        bands[column] = (low, high)
        outside = [row for row in after if not band[0] <= row[column] <= band[1]]
        if outside:
            worst = max(outside, key=lambda row: abs(row[column] - (low + high) / 2))
            problems.append(f"{column} {worst[column]} at t={worst['t']:.0f}s outside {band[0]:.1f}..{band[1]:.1f}")
    text = ("; ".join(problems) if problems else
            "within ±10% of " + ", ".join(f"{c} {lo:g}..{hi:g}" for c, (lo, hi) in bands.items())
            + f" (t {args.warmup:.0f}..{args.warmup + baseline_span:.0f} s)")
    return not problems, text, bands


def write_csv(path: Path, samples: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(samples)


def plot(path: Path, args, samples: list[dict], outages: list[tuple[float, float]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [row["t"] / 60 for row in samples]
    figure, axes = plt.subplots(5, 1, figsize=(9, 11), sharex=True)
    panels = [
        ("RSS (MiB)", [("rss_mib", "RSS")]),
        ("count", [("fds", "open fds"), ("threads", "threads")]),
        ("count", [("kafka_sockets", "Kafka sockets"), ("handles", "Kafka handles")]),
        ("latency (ms)", [("p50_ms", "p50"), ("p99_ms", "p99")]),
        ("per sample", [("calls", "calls"), ("failed_expected", "failed (expected)"), ("failed_unexpected", "failed (unexpected)")]),
    ]
    for axis, (label, series) in zip(axes, panels):
        for column, name in series:
            axis.plot(minutes, [row[column] for row in samples], label=name, linewidth=1)
        for down, up in outages:
            axis.axvspan(down / 60, up / 60, color="tab:red", alpha=0.08, linewidth=0)
        if args.warmup < (samples[-1]["t"] if samples else 0):
            axis.axvline(args.warmup / 60, color="grey", linestyle="--", linewidth=0.8)
        axis.set_ylabel(label)
        axis.legend(loc="upper left", fontsize=7)
        axis.grid(alpha=0.3)
    axes[3].set_yscale("log")
    axes[-1].set_xlabel("minutes (shaded: cluster 0 down; dashed: end of warm-up)")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=72)
    plt.close(figure)


def summary_rows(args, samples: list[dict]) -> list[str]:
    after = [row for row in samples if row["t"] >= args.warmup] or samples
    rows = ["| after warm-up | first | last | min | max |", "|---|---:|---:|---:|---:|"]
    for column in ("rss_mib", "fds", "threads", "kafka_sockets", "handles"):
        values = [row[column] for row in after]
        rows.append(f"| {column} | {values[0]:g} | {values[-1]:g} | {min(values):g} | {max(values):g} |")
    return rows


def quantiles(latencies: list[float]) -> tuple[float, float]:
    if not latencies:
        return float("nan"), float("nan")
    ordered = sorted(latencies)
    return ordered[len(ordered) // 2] * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 1)[1])
    parser.add_argument("--scaler", type=Path, help="keda-kafka-scaler binary (default: $KKS_BINARY or swift build --show-bin-path)")
    parser.add_argument("--mock", type=Path, help="kafka-mock-cluster binary (default: next to the scaler)")
    parser.add_argument("--build", default=None, help="binary kind for the report (default: guessed from the path)")
    parser.add_argument("--duration", type=float, default=1800, help="seconds of load (default 1800)")
    parser.add_argument("--triggers", type=int, default=2000)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--brokers", type=int, default=3, help="brokers per mock cluster")
    parser.add_argument("--topics", type=int, default=4, help="topics per cluster")
    parser.add_argument("--partitions", type=int, default=3, help="partitions per topic")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--interval", type=float, default=30, help="KEDA polling interval, seconds")
    parser.add_argument("--flap-period", type=float, default=60, help="cluster 0 down half, up half of it; 0: no flapping")
    parser.add_argument("--recovery-window", type=float, default=10,
                        help="seconds after cluster 0 is back in which its failures still count as expected")
    parser.add_argument("--bumps-per-minute", type=float, default=None, help="configVersion bumps (default 1%% of the triggers)")
    parser.add_argument("--profile-rewrites-per-minute", type=float, default=4)
    parser.add_argument("--sample", type=float, default=10, help="sampling period, seconds")
    parser.add_argument("--warmup", type=float, default=300, help="seconds before the leak criterion applies")
    parser.add_argument("--kafka-timeout", type=int, default=5, help="the scaler's --kafka-timeout")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "soak" / "results", help="folder of soak.csv and soak.png")
    parser.add_argument("--record", action="store_true", help="write the dated section in bench/RESULTS.md")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if args.bumps_per_minute is None:
        args.bumps_per_minute = args.triggers / 100
    if not args.scaler or not args.mock:
        paths = binary_paths()
        args.scaler = args.scaler or paths["scaler"]
        args.mock = args.mock or args.scaler.parent / "kafka-mock-cluster"
    build = args.build or ("release" if "/release" in str(args.scaler.resolve()) else "debug")
    args.out.mkdir(parents=True, exist_ok=True)

    wall = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kks-soak-") as directory:
        stubs = Stubs(str(Path(directory)))
        profiles = ProfileDirectory(Path(directory) / "profiles")
        profiles.root.mkdir()
        for cluster in range(args.clusters):
            profiles.write(f"soak-c{cluster}", profiles.profile(cluster, 0))
        topics = {f"t{i}": args.partitions for i in range(args.topics)}
        clusters: list[MockCluster] = []
        server = None
        try:
            for _ in range(args.clusters):
                clusters.append(MockCluster(args.mock, args.brokers, topics))
            server = Scaler(args.scaler, stubs, ["--auth-profiles", str(profiles.root), "--kafka-timeout", str(args.kafka_timeout)])
            soak = Soak(args, stubs, clusters, profiles, server)
            print(f"soak: {args.triggers} triggers on {args.clusters} clusters, {args.streams} streams, interval {args.interval:g} s, "
                  f"flap period {args.flap_period:g} s, {args.duration:g} s ({build} scaler pid {server.pid})", flush=True)
            asyncio.run(soak.run())
            if soak.crash is None and server.process.poll() is not None:
                soak.crash = f"scaler exited with {server.process.returncode}"
            if soak.crash is None:
                try:
                    code = server.terminate(timeout=30)
                    if code != 0:
                        soak.crash = f"scaler exited {code} on SIGTERM"
                except AssertionError as error:
                    soak.crash = str(error)
            log_tail = "".join(server.log_lines[-15:])
        finally:
            if server is not None and server.process.poll() is None:
                server.process.kill()
                server.process.wait(10)
            for cluster in clusters:
                cluster.close()

    samples = soak.samples
    if not samples:
        print("no samples taken", file=sys.stderr)
        return 1
    outages = [(down - soak.started, up - soak.started) for down, up in soak.outages if up is not None]
    write_csv(args.out / "soak.csv", samples)
    title = (f"keda-kafka-scaler soak ({build}): {args.triggers} triggers, {args.clusters} clusters, {args.streams} streams, "
             f"interval {args.interval:g} s, cluster 0 flapping every {args.flap_period:g} s")
    plot(args.out / "soak.png", args, samples, outages, title)

    no_failures = soak.totals["unexpected"] == 0
    no_leak, leak_text, _ = leak_check(args, samples)
    no_crash = soak.crash is None
    passed = no_failures and no_leak and no_crash
    measured = [entry for entry in soak.all_latencies if entry[0] >= args.warmup] or soak.all_latencies
    p50, p99 = quantiles([seconds for _, seconds, _ in measured])
    steady50, steady99 = quantiles([seconds for _, seconds, cluster in measured if cluster != 0])
    recovery = max(soak.recovery_after_up, default=0.0)
    methods = ", ".join(f"{m} {c[0]} ({c[1]} expected, {c[2]} unexpected failures)" for m, c in sorted(soak.by_method.items()))
    totals = soak.totals
    lines = [
        f"calls: {methods}",
        f"streams opened {totals['streams_opened']}, ended by the server {totals['stream_ends']}, messages {totals['stream_messages']}; "
        f"configVersion bumps {totals['bumps']}; profile rewrites {profiles.rewrites - args.clusters}, reloads {totals['reloads']}; "
        f"outages of cluster 0: {len(outages)}",
        f"latency of successful unary calls (client side, after warm-up): p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
        f"clusters other than 0: p50 {steady50:.2f} ms, p99 {steady99:.2f} ms",
        f"latest failing call after cluster 0 came back started {recovery:.1f} s after up (window allowed: {args.recovery_window:g} s)",
        f"[{'PASS' if no_failures else 'FAIL'}] unexpected failures: {totals['unexpected']} "
        f"(expected, on cluster 0 during its outages: {totals['expected']})",
        f"[{'PASS' if no_leak else 'FAIL'}] no leak: {leak_text}",
        f"[{'PASS' if no_crash else 'FAIL'}] crashes: {0 if no_crash else 1}{'' if no_crash else ' — ' + soak.crash}",
        f"verdict: {'PASS' if passed else 'FAIL'} ({(time.monotonic() - wall) / 60:.1f} min wall)",
    ]
    print("\n".join(lines))
    for entry in soak.unexpected_log[:20]:
        print("unexpected:", entry)
    if not no_crash:
        print("scaler log tail:\n" + log_tail[-3000:])
    print(f"wrote {args.out / 'soak.csv'} and {args.out / 'soak.png'}")

    if args.record:
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        try:
            out = args.out.resolve().relative_to(REPO)
        except ValueError:
            out = args.out
        unexpected = "".join(f"\n  - {entry}" for entry in soak.unexpected_log[:10])
        body = f"""## Soak: {args.duration / 60:g} min under KEDA-like load (issue 13 §5) ({when})

Machine: {machine()}. Written by `bash bench/soak/run.sh --record` ({build} build at commit {commit}).
One scaler (`--kafka-timeout {args.kafka_timeout}`, other flags default); {args.triggers} triggers on {args.clusters}
mock clusters ({args.brokers} brokers, {args.topics} topics × {args.partitions} partitions each), every trigger
GetMetrics + IsActive every {args.interval:g} s at a random phase (GetMetricSpec when new or changed), {args.streams}
StreamIsActive streams on the same connection; cluster 0 down {args.flap_period / 2:g} s / up {args.flap_period / 2:g} s;
{args.bumps_per_minute:g} configVersion bumps and {args.profile_rewrites_per_minute:g} Secret-style profile rewrites
(+ one reload) per minute. Sampled every {args.sample:g} s: `{out}/soak.csv`, `{out}/soak.png`.

**Verdict: {'PASS' if passed else 'FAIL'}**
- {'PASS' if no_failures else 'FAIL'}: {totals['unexpected']} unexpected failures; {totals['expected']} expected ones
  (cluster 0's triggers during its outages, window {args.recovery_window:g} s after up; the latest failing call
  started {recovery:.1f} s after up){unexpected}
- {'PASS' if no_leak else 'FAIL'}: no leak after {args.warmup / 60:g} min: {leak_text}
- {'PASS' if no_crash else 'FAIL'}: crashes: {0 if no_crash else 1}{'' if no_crash else ' — ' + soak.crash}

{chr(10).join(summary_rows(args, samples))}

- Calls: {methods}.
- Streams: opened {totals['streams_opened']}, ended by the server {totals['stream_ends']}, {totals['stream_messages']} messages;
  {totals['bumps']} bumps; {profiles.rewrites - args.clusters} profile rewrites, {totals['reloads']} reloads; {len(outages)} outages.
- Latency of successful unary calls after warm-up (client side: a Python grpc.aio client on the same machine): all
  clusters p50 {p50:.2f} ms, p99 {p99:.2f} ms (calls that waited through an outage of cluster 0 included); clusters
  other than 0 p50 {steady50:.2f} ms, p99 {steady99:.2f} ms.
"""
        write_section(args.results, BEGIN, END, body)
        print(f"wrote {args.results}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
