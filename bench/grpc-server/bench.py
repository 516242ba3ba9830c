"""Runs the Health/Check benchmark (see run.sh) and writes its section of bench/RESULTS.md.

Both servers run for the whole benchmark; for every load shape they take turns (ours,
nghttpd, ours, nghttpd, ...) with the same request count. Per run: h2load's req/s, the
p50/p99 of its per-request log, the server's utime+stime delta per request and VmRSS.
"""
import argparse
import datetime
import os
import platform
import re
import socket
import statistics
import subprocess
import time

SHAPES = [(1, 1), (10, 10), (100, 10)]
CHECK_PATH = "/grpc.health.v1.Health/Check"
CHECK_REQUEST = b"\x00\x00\x00\x00\x00"
SERVING_RESPONSE = b"\x00\x00\x00\x00\x02\x08\x01"
BEGIN = "<!-- bench:grpc-server:begin -->"
END = "<!-- bench:grpc-server:end -->"
TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_connectable(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


class Server:
    """A benchmarked process and the URL h2load hits."""

    def __init__(self, name, argv, log_path, port=None):
        self.name = name
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.port = port if port is not None else self._port_from_log(log_path)
        wait_connectable(self.port)
        self.url = f"http://127.0.0.1:{self.port}{CHECK_PATH}"

    def _port_from_log(self, log_path, timeout=20):
        pattern = re.compile(r'"grpc\.port"\s*:\s*"?(\d+)')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(log_path, "rb") as log:
                for line in log.read().decode("utf-8", "replace").splitlines():
                    found = pattern.search(line)
                    if "gRPC server listening" in line and found:
                        return int(found.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {log_path}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} never logged its port; see {log_path}")

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.proc.returncode


def h2load(server, requests, clients, streams, body, log_file):
    argv = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-d", body,
            "-H", "content-type: application/grpc", "-H", "te: trailers", server.url]
    if log_file:
        argv[1:1] = ["--log-file", log_file]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    summary = re.search(r"(\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out.stdout)
    rate = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out.stdout)
    if out.returncode != 0 or not summary or not rate or int(summary.group(1)) != requests:
        raise RuntimeError(f"h2load against {server.name} failed:\n{out.stdout}\n{out.stderr}")
    return float(rate.group(1))


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def measure(server, requests, clients, streams, body, log_file):
    before = server.cpu_ticks()
    rate = h2load(server, requests, clients, streams, body, log_file)
    cpu_us = (server.cpu_ticks() - before) * TICK_US
    with open(log_file) as log:
        durations = sorted(int(line.split("\t")[2]) for line in log if line.strip())
    return {
        "rps": rate,
        "p50": percentile(durations, 0.50),
        "p99": percentile(durations, 0.99),
        "cpu_per_request": cpu_us / requests,
        "rss_kib": server.rss_kib(),
    }


def verify_one_call(server, body, expect_grpc_status):
    """h2load judges only :status, so one call's frames are checked with nghttp first."""
    out = subprocess.run(["nghttp", "-v", "-n", "-d", body, "-H", "content-type: application/grpc",
                          "-H", "te: trailers", server.url], capture_output=True, text=True, timeout=20)
    answered = "recv DATA frame <length=7" in out.stdout
    if not answered or (expect_grpc_status and "grpc-status: 0" not in out.stdout):
        raise RuntimeError(f"Check against {server.name} did not answer SERVING with grpc-status 0:\n{out.stdout}")


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    uname = platform.uname()
    return f"`{uname.system} {uname.release} {uname.machine}`, {cpu}, nproc {os.cpu_count()}"


def render(results, requests, rounds, binary_label, load_before):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        f"## gRPC server: Health/Check vs nghttpd ({now})",
        "",
        f"Machine: {machine()}. Written by `bench/grpc-server/run.sh` ({binary_label}); "
        f"{requests} requests per run, {rounds} alternating rounds per server and shape; "
        f"load average before the run {load_before:.2f} (the machine is shared, so absolute figures are noisy; "
        "the alternation keeps the ratios fair); figures are medians over rounds (RSS: maximum). nghttpd `--no-tls` serves a static "
        "7-byte file equal to Check's SERVING response. Latency is h2load's per-request time.",
        "",
        "| c × m | server | req/s | p50 µs | p99 µs | CPU µs/req | RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for clients, streams in SHAPES:
        for name in ("ours", "nghttpd"):
            runs = results[(name, clients, streams)]
            lines.append(
                f"| {clients} × {streams} | {name} | {statistics.median(r['rps'] for r in runs):,.0f} "
                f"| {statistics.median(r['p50'] for r in runs):,.0f} | {statistics.median(r['p99'] for r in runs):,.0f} "
                f"| {statistics.median(r['cpu_per_request'] for r in runs):.2f} "
                f"| {max(r['rss_kib'] for r in runs) / 1024:.1f} |")
    lines += ["", "| target | ratio ours/nghttpd | limit | met |", "|---|---:|---:|---|"]
    for clients, streams in SHAPES:
        ours = statistics.median(r["cpu_per_request"] for r in results[("ours", clients, streams)])
        ref = statistics.median(r["cpu_per_request"] for r in results[("nghttpd", clients, streams)])
        ratio = ours / ref if ref else float("inf")
        lines.append(f"| CPU per request, c={clients} m={streams} | {ratio:.2f} | ≤ 5 | {'yes' if ratio <= 5 else 'NO'} |")
    ours_rps = statistics.median(r["rps"] for r in results[("ours", 1, 1)])
    ref_rps = statistics.median(r["rps"] for r in results[("nghttpd", 1, 1)])
    ratio = ours_rps / ref_rps
    lines.append(f"| req/s on one connection, c=1 m=1 | {ratio:.2f} | ≥ 0.5 | {'yes' if ratio >= 0.5 else 'NO'} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path, section):
    """Replaces only this benchmark's marked section, keeping every other section."""
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as out:
        out.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--results", required=True)
    args = parser.parse_args()

    body = os.path.join(args.out, "check.bin")
    with open(body, "wb") as f:
        f.write(CHECK_REQUEST)
    docroot = os.path.join(args.out, "docroot")
    os.makedirs(os.path.join(docroot, os.path.dirname(CHECK_PATH.lstrip("/"))), exist_ok=True)
    with open(os.path.join(docroot, CHECK_PATH.lstrip("/")), "wb") as f:
        f.write(SERVING_RESPONSE)

    ours_argv = [args.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--log-format", "json",
                 "--shutdown-grace", "5"]
    help_text = subprocess.run([args.binary, "serve", "--help"], capture_output=True, text=True).stdout
    if "--ops-port" in help_text:
        ours_argv += ["--ops-port", "0"]
    load_before = os.getloadavg()[0]
    nghttpd_port = free_port()
    servers = {}
    try:
        servers["ours"] = Server("ours", ours_argv, os.path.join(args.out, "ours.log"))
        servers["nghttpd"] = Server("nghttpd", ["nghttpd", "--no-tls", "-d", docroot, str(nghttpd_port)],
                                    os.path.join(args.out, "nghttpd.log"), port=nghttpd_port)
        for server in servers.values():
            verify_one_call(server, body, expect_grpc_status=server.name == "ours")
            h2load(server, min(args.requests, 20_000), 10, 10, body, None)
        results = {}
        for clients, streams in SHAPES:
            for round_index in range(args.rounds):
                for name in ("ours", "nghttpd"):
                    log_file = os.path.join(args.out, f"{name}-c{clients}-m{streams}-r{round_index}.tsv")
                    run = measure(servers[name], args.requests, clients, streams, body, log_file)
                    results.setdefault((name, clients, streams), []).append(run)
                    print(f"{name:8} c={clients:<3} m={streams:<3} round {round_index}: {run['rps']:>10,.0f} req/s "
                          f"p50 {run['p50']}µs p99 {run['p99']}µs cpu {run['cpu_per_request']:.2f}µs/req "
                          f"rss {run['rss_kib'] / 1024:.1f}MiB", flush=True)
    finally:
        codes = {name: server.stop() for name, server in servers.items()}
    if codes.get("ours") not in (0, None):
        raise SystemExit(f"our server exited with {codes['ours']} after SIGTERM")
    commit = subprocess.run(["git", "log", "-1", "--format=%h", "--", "Sources", "Package.swift"],
                            capture_output=True, text=True).stdout.strip()
    label = f"release build of the server sources at commit {commit or 'unknown'}"
    section = render(results, args.requests, args.rounds, label, load_before)
    write_section(args.results, section)
    print(section)


if __name__ == "__main__":
    main()
