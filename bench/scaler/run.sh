#!/usr/bin/env bash
# Scaler benchmark: GetMetrics vs Health/Check throughput, latency and CPU per request
# with h2load (warm lag cache), then RSS/threads/Kafka sockets of 1,000 and 10,000
# registry entries on 1 and 10 mock clusters. Builds the release binaries itself and
# writes (or replaces) its dated section in bench/RESULTS.md.
# Usage: bash bench/scaler/run.sh [bench.py options, e.g. --requests 20000 --rounds 1]
# Needs h2load and a Python with grpcio, grpcio-tools, pytest ($PYTHON, default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
command -v h2load >/dev/null || { echo "h2load not found (apt-get install nghttp2-client)" >&2; exit 1; }
swift build -c release --product keda-kafka-scaler
swift build -c release --product kafka-mock-cluster
bin="$(swift build -c release --show-bin-path)"
exec "$PYTHON" bench/scaler/bench.py --scaler "$bin/keda-kafka-scaler" --mock "$bin/kafka-mock-cluster" "$@"
