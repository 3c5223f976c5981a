#!/usr/bin/env bash
# Builds hookd and hookd_bench in release mode (build-release/) and runs the
# benchmark, writing bench/hookd_results.json. Extra arguments go to hookd_bench
# (e.g. --seconds 5, --backlog 40000, --synchronous normal).
# The figures are only meaningful on an otherwise idle machine: the table's
# "environment" lines show the load average and the disk's fsync latency.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target hookd_bench hookd
exec build-release/hookd_bench --hookd build-release/sender/hookd \
  --json bench/hookd_results.json "$@"
