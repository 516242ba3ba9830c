#!/usr/bin/env bash
# Lag-engine benchmark: latency and Kafka requests per evaluation against the
# librdkafka mock cluster, for 1, 100 and 1,000 partitions on 3 brokers.
# Writes (or replaces) its dated section in bench/RESULTS.md; exits non-zero
# when the request budget of DESIGN.md §5 is exceeded.
# Usage: bash bench/lag-engine/run.sh [lag-engine-bench options, e.g. --evaluations 500]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product lag-engine-bench
exec .build/release/lag-engine-bench --results bench/RESULTS.md "$@"
