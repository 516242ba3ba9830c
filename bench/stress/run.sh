#!/usr/bin/env bash
# Outage stress (issue 12): hundreds of "pinned cluster fails, registry moves away, cluster
# comes back" iterations against one scaler process; zero crashes expected. Builds the
# release binaries itself and writes its dated section in bench/RESULTS.md.
# Usage: bash bench/stress/run.sh [--iterations N] [--no-record] [outage_stress.py options]
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
swift build -c release --product keda-kafka-scaler
swift build -c release --product kafka-mock-cluster
bin="$(swift build -c release --show-bin-path)"
exec "$PYTHON" bench/stress/outage_stress.py --scaler "$bin/keda-kafka-scaler" --mock "$bin/kafka-mock-cluster" "$@"
