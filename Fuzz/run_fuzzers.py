"""Runs each fuzzer from a working copy of its seed corpus and reports executions per
second, coverage, corpus growth and findings (crash-, leak-, timeout-, oom- files).
Called by Fuzz/run.sh; exits 1 when any fuzzer found something."""

import argparse
import concurrent.futures
import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_results import machine, write_section  # noqa: E402


def run(binary: Path, fuzzer: str, seconds: int) -> dict:
    work = ROOT / ".build-fuzz" / "corpus" / fuzzer
    artifacts = ROOT / ".build-fuzz" / "artifacts" / fuzzer
    artifacts.mkdir(parents=True, exist_ok=True)
    if not work.exists():
        shutil.copytree(ROOT / "Fuzz" / "corpus" / fuzzer, work)
    before = {p.name for p in artifacts.iterdir()}
    seeds = len(list(work.iterdir()))
    log = subprocess.run(
        [str(binary), f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=4096", "-print_final_stats=1",
         f"-artifact_prefix={artifacts}/", str(work)],
        capture_output=True, text=True, timeout=seconds + 300,
    ).stderr
    stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", log))
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", log)
    found = sorted({p.name for p in artifacts.iterdir()} - before)
    summary = {
        "fuzzer": fuzzer, "seconds": seconds, "runs": int(stats.get("number_of_executed_units", 0)),
        "exec_per_sec": int(stats.get("average_exec_per_sec", 0)), "cov": coverage[-1][0] if coverage else "?",
        "corpus": f"{seeds} → {len(list(work.iterdir()))}", "rss_mb": stats.get("peak_rss_mb", "?"), "found": found,
    }
    if found:
        print(log[-4000:], file=sys.stderr)
    print(f"{fuzzer}: {summary['runs']} runs, {summary['exec_per_sec']} exec/s, cov {summary['cov']}, "
          f"corpus {summary['corpus']}, findings {found or 'none'}", flush=True)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--parallel", action="store_true", help="run the fuzzers at the same time (the long runs)")
    parser.add_argument("fuzzers", nargs="+")
    args = parser.parse_args()
    workers = len(args.fuzzers) if args.parallel else 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda name: run(args.bin / name, name, args.seconds), args.fuzzers))
    if args.record:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        rows = "\n".join(
            f"| {r['fuzzer']} | {r['seconds']} | {r['runs']:,} | {r['exec_per_sec']:,} | {r['cov']} | {r['corpus']} | {r['rss_mb']} | "
            f"{', '.join(r['found']) or 'none'} |" for r in results)
        body = (f"## Fuzzing ({now})\n\nMachine: {machine()}. Written by `Fuzz/run.sh --record` (debug build, "
                f"`-sanitize=fuzzer,address`, {'all fuzzers at once, sharing the cores' if args.parallel else 'one fuzzer at a time'}, from the committed seed corpus plus what earlier runs on "
                f"this machine added).\n\n| fuzzer | seconds | runs | exec/s | coverage | corpus | peak RSS MiB | findings |\n"
                f"|---|---:|---:|---:|---:|---|---:|---|\n{rows}\n")
        write_section(ROOT / "bench" / "RESULTS.md", "<!-- fuzz:begin -->", "<!-- fuzz:end -->", body)
    if any(r["found"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
