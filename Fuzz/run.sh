#!/usr/bin/env bash
# Builds the libFuzzer targets (KKS_FUZZ=1, -sanitize=fuzzer,address, scratch .build-fuzz) and
# runs each for FUZZ_SECONDS (default 60) from its committed seed corpus, with hang (10 s)
# and leak detection. Findings land in .build-fuzz/artifacts/<fuzzer>/; the run fails if any.
# With --record, writes executions per second and findings to bench/RESULTS.md.
# Usage: bash Fuzz/run.sh [--record] [--parallel] [Fuzzer ...]   (FUZZ_SECONDS=1800 for the long runs)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
SECONDS_EACH="${FUZZ_SECONDS:-60}"
options=()
while [[ "${1:-}" == --* ]]; do options+=("$1"); shift; done
fuzzers=("$@")
[[ ${#fuzzers[@]} -gt 0 ]] || fuzzers=(ServerConnectionFuzzer RequestDecoderFuzzer MetadataParserFuzzer AuthProfileFuzzer OpsRouterFuzzer)
flags=(--scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
for fuzzer in "${fuzzers[@]}"; do
    KKS_FUZZ=1 swift build "${flags[@]}" --product "$fuzzer"
done
bin="$(KKS_FUZZ=1 swift build "${flags[@]}" --show-bin-path)"
exec "$PYTHON" Fuzz/run_fuzzers.py --bin "$bin" --seconds "$SECONDS_EACH" "${options[@]}" "${fuzzers[@]}"
