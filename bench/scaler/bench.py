"""Scaler benchmark (driven by bench/scaler/run.sh).

(a) GetMetrics with a warm lag cache against grpc.health.v1.Health/Check, alternating, with
    h2load at (c=1,m=1), (c=10,m=10), (c=100,m=10): req/s, p50/p99 from h2load's per-request
    log, server CPU per request from /proc/<pid>/stat, RSS.
(b) Resources of many registry entries: 1,000 ScaledObjects per mock cluster, every one
    admitted with GetMetrics so its connection opens: RSS, threads, Kafka sockets, handles.

Writes a dated section between its markers in bench/RESULTS.md, keeping other sections.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

from grpc_wire import frame  # noqa: E402
from bench_results import cpu_model, write_section  # noqa: E402
from scaler_harness import MockCluster, Scaler, Stubs, established_sockets, trigger  # noqa: E402

BEGIN, END = "<!-- scaler-bench:begin -->", "<!-- scaler-bench:end -->"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SHAPES = [(1, 1), (10, 10), (100, 10)]
GRPC_SWIFT_2_US_PER_REQUEST = 240


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


def rss_mib(server: Scaler) -> float:
    return int(server.proc_status("VmRSS").split()[0]) / 1024


def ok_requests(server: Scaler, method: str) -> float:
    return sum(value for name, labels, value in server.metrics()
               if name == "kafka_scaler_grpc_requests_total" and labels.get("method", "").endswith(method) and labels.get("code") in ("OK", "0"))


def h2load(server: Scaler, path: str, body: Path, clients: int, streams: int, requests: int, workdir: Path) -> dict:
    log = workdir / "h2load.log"
    log.unlink(missing_ok=True)
    method = path.rsplit("/", 1)[1]
    ok_before, cpu_before = ok_requests(server, method), cpu_seconds(server.pid)
    command = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-t", "1",
               "-H", "content-type: application/grpc", "-H", "te: trailers", "-d", str(body),
               f"--log-file={log}", f"http://127.0.0.1:{server.port}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True).stdout
    cpu = cpu_seconds(server.pid) - cpu_before
    ok = ok_requests(server, method) - ok_before
    if ok != requests:
        raise SystemExit(f"{method}: {ok:.0f} of {requests} requests ended with grpc-status OK\n{output}")
    durations = sorted(int(line.split("\t")[2]) for line in log.read_text().splitlines() if line.strip())
    finished = next(line for line in output.splitlines() if line.startswith("finished in"))
    rate = float(finished.split(",")[1].split()[0])
    return {
        "rps": rate,
        "p50": durations[len(durations) // 2] / 1000,
        "p99": durations[min(len(durations) - 1, int(len(durations) * 0.99))] / 1000,
        "cpu_us": cpu / requests * 1e6,
        "rss": rss_mib(server),
    }


def throughput(args, stubs: Stubs, workdir: Path) -> tuple[list[str], list[str]]:
    cluster = MockCluster(args.mock, 3, {"orders": 3})
    server = None
    try:
        cluster.set_lags("bench", "orders", [60] * 3, committed=40)
        server = Scaler(args.scaler, stubs, ["--lag-cache-ttl", "3600"])
        metadata = trigger(cluster, "bench", "orders")
        value = server.get_metrics("throughput", metadata, metric_name="kafka-orders")
        request = stubs.pb.GetMetricsRequest(scaledObjectRef=server.ref("throughput", metadata), metricName="kafka-orders")
        bodies = {"GetMetrics": workdir / "get-metrics.bin", "Check": workdir / "check.bin"}
        bodies["GetMetrics"].write_bytes(frame(request.SerializeToString()))
        bodies["Check"].write_bytes(frame(b""))  # HealthCheckRequest{service: ""}
        paths = {"GetMetrics": "/externalscaler.ExternalScaler/GetMetrics", "Check": "/grpc.health.v1.Health/Check"}
        observations = server.metric("kafka_scaler_observations_total", result="success")

        results: dict[tuple[str, int, int], list[dict]] = {}
        for _ in range(args.rounds):
            for clients, streams in SHAPES:
                requests = args.requests if clients > 1 else args.requests // 4
                for method in ("Check", "GetMetrics"):
                    run = h2load(server, paths[method], bodies[method], clients, streams, requests, workdir)
                    results.setdefault((method, clients, streams), []).append(run)
        assert server.metric("kafka_scaler_observations_total", result="success") == observations, "the lag cache was not warm"
        server.assert_alive()
    finally:
        if server:
            server.terminate()
        cluster.close()

    def median(method, clients, streams, field):
        return statistics.median(run[field] for run in results[(method, clients, streams)])

    rows = ["| method | c | m | req/s | p50 | p99 | server CPU/request | RSS |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    ratios = ["| c | m | GetMetrics CPU/req | Check CPU/req | ratio (target ≤ 1.5) | vs grpc-swift-2 ~240 µs |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for clients, streams in SHAPES:
        for method in ("Check", "GetMetrics"):
            rows.append(f"| {method} | {clients} | {streams} | {median(method, clients, streams, 'rps'):,.0f} | "
                        f"{median(method, clients, streams, 'p50'):.3f} ms | {median(method, clients, streams, 'p99'):.3f} ms | "
                        f"{median(method, clients, streams, 'cpu_us'):.1f} µs | {median(method, clients, streams, 'rss'):.1f} MiB |")
        get, check = median("GetMetrics", clients, streams, "cpu_us"), median("Check", clients, streams, "cpu_us")
        if get == 0 or check == 0:
            raise SystemExit("CPU time below the clock-tick resolution: run more --requests")
        ratios.append(f"| {clients} | {streams} | {get:.1f} µs | {check:.1f} µs | {get / check:.2f} {'ok' if get / check <= 1.5 else 'OVER'} | "
                      f"{GRPC_SWIFT_2_US_PER_REQUEST / get:.1f}× less CPU |")
    print(f"GetMetrics answer during the run: {value}")
    return rows, ratios


def admit(server: Scaler, cluster: MockCluster, index: int, count: int) -> None:
    def one(so: int) -> int:
        return server.get_metrics(f"so-{index}-{so}", trigger(cluster, f"group-{so}", "orders"), timeout=30)

    with futures.ThreadPoolExecutor(32) as pool:
        values = list(pool.map(one, range(count)))
    if values != [3] * count:  # 3 uncommitted partitions under latest: lag 1 each
        raise SystemExit(f"cluster {index}: unexpected metric values {sorted(set(values))}")


def registry_resources(args, stubs: Stubs, clusters: int, per_cluster: int) -> str:
    mocks = [MockCluster(args.mock, 3, {"orders": 3}) for _ in range(clusters)]
    server = None
    try:
        server = Scaler(args.scaler, stubs, [])
        idle = rss_mib(server)
        started = time.monotonic()
        for index, cluster in enumerate(mocks):
            admit(server, cluster, index, per_cluster)
        admitted = time.monotonic() - started
        time.sleep(2)
        ports = set().union(*(cluster.ports for cluster in mocks))
        entries = server.metric("kafka_scaler_registry_entries")
        handles = server.metric("kafka_scaler_kafka_handles")
        if entries != clusters * per_cluster or handles != clusters:
            raise SystemExit(f"expected {clusters * per_cluster} entries on {clusters} handles, got {entries:.0f} on {handles:.0f}")
        rss = rss_mib(server)
        verdict = "ok" if clusters * per_cluster < 10_000 or rss < 256 else "OVER"
        row = (f"| {clusters} | {clusters * per_cluster:,} | {handles:.0f} | {established_sockets(server.pid, ports)} | "
               f"{server.proc_status('Threads')} | {idle:.1f} MiB | {rss:.1f} MiB {verdict} | {admitted:.1f} s |")
        server.assert_alive()
        return row
    finally:
        if server:
            server.terminate()
        for cluster in mocks:
            cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaler", type=Path, required=True)
    parser.add_argument("--mock", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=40_000, help="requests per h2load run (a quarter at c=1)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are reported")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kks-bench-") as directory:
        workdir = Path(directory)
        stubs = Stubs(str(workdir))
        rows, ratios = throughput(args, stubs, workdir)
        print("\n".join(rows + [""] + ratios), flush=True)
        resources = ["| clusters | ScaledObjects | Kafka handles | Kafka sockets | threads | RSS idle | RSS after | admission time |",
                     "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for clusters, per_cluster in ((1, 1000), (1, 10_000), (10, 1000)):
            resources.append(registry_resources(args, stubs, clusters, per_cluster))
            print(resources[-1], flush=True)

    uname = " ".join(os.uname()[i] for i in (0, 2, 4))
    body = f"""## scaler: gRPC throughput with a warm lag cache, and registry resources

- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}
- System: {uname}; CPU: {cpu_model()}; nproc {os.cpu_count()}
- Setup: release build; `bash bench/scaler/run.sh`. Server and h2load share the machine.
- (a) h2load (`-t 1`, h2c) against `keda-kafka-scaler serve --lag-cache-ttl 3600` with a 3-broker mock cluster;
  Check and GetMetrics alternate, {args.rounds} rounds, medians shown; {args.requests:,} requests per run ({args.requests // 4:,} at c=1).
  Every request is verified to end with grpc-status OK (kafka_scaler_grpc_requests_total), and no Kafka read happens during
  the runs. CPU = (utime + stime) delta of the server from /proc/<pid>/stat ÷ requests; latency from h2load's --log-file.
  h2load repeats one request body; the server sorts every request's metadata entries before matching it (KEDA's Go
  client shuffles map order), so a shuffled request costs the same.

{chr(10).join(rows)}

{chr(10).join(ratios)}

- (b) Each ScaledObject has its own consumer group (3 uncommitted partitions, metric 3) and is admitted with one GetMetrics
  (32 concurrent callers); mock clusters have 3 brokers each. Sockets = the server's established TCP sockets to the brokers'
  ports (/proc/<pid>/net/tcp joined with /proc/<pid>/fd). Target: 10,000 entries < 256 MiB RSS; sockets grow with clusters.

{chr(10).join(resources)}
"""
    write_section(args.results, BEGIN, END, body)
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
