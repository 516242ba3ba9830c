#!/usr/bin/env bash
# Soak benchmark (issue 13 §5): one scaler for --duration seconds (default 1800) under a
# KEDA-like load (2,000 triggers on 4 mock clusters, GetMetrics + IsActive every 30 s at a
# random phase, 200 StreamIsActive streams) while cluster 0 flaps (down 30 s / up 30 s),
# configVersions are bumped and auth-profile files rewritten. Samples RSS, fds, threads,
# Kafka sockets, handles and p50/p99 every 10 s into bench/soak/results/soak.{csv,png};
# prints the verdict (no unexpected failure, no leak after 5 min, no crash), exits 1 on FAIL.
# Builds nothing: uses the binaries of `swift build -c $SOAK_CONFIGURATION --show-bin-path`
# (default debug; `make soak` builds them first), or $KKS_BINARY / $KKS_MOCK_CLUSTER.
# Usage: bash bench/soak/run.sh [--duration S] [--record] [soak.py options, see --help]
# Needs a Python with grpcio, grpcio-tools and matplotlib ($PYTHON, default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
configuration="${SOAK_CONFIGURATION:-debug}"
if [ -z "${KKS_BINARY:-}" ]; then
  bin="$(swift build -c "$configuration" --show-bin-path)"
  KKS_BINARY="$bin/keda-kafka-scaler"
fi
mock="${KKS_MOCK_CLUSTER:-$(dirname "$KKS_BINARY")/kafka-mock-cluster}"
for binary in "$KKS_BINARY" "$mock"; do
  [ -x "$binary" ] || { echo "$binary not found: run swift build -c $configuration first" >&2; exit 1; }
done
exec "$PYTHON" bench/soak/soak.py --scaler "$KKS_BINARY" --mock "$mock" "$@"
