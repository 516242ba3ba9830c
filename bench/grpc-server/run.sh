#!/usr/bin/env bash
# Health/Check throughput, latency, CPU and memory of the release server against
# `nghttpd --no-tls` serving the same 7-byte response, driven alternately by h2load.
# Writes its section of bench/RESULTS.md. Usage: bench/grpc-server/run.sh [REQUESTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."

requests="${1:-100000}"
rounds="${2:-2}"
for tool in h2load nghttpd python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/install-deps.sh)" >&2; exit 1; }
done

swift build -c release --product keda-kafka-scaler
binary="$(swift build -c release --show-bin-path)/keda-kafka-scaler"

out="bench/out/grpc-server-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec python3 bench/grpc-server/bench.py --binary "$binary" --out "$out" \
  --requests "$requests" --rounds "$rounds" --results bench/RESULTS.md
