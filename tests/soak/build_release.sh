#!/usr/bin/env bash
# Builds hookd and the soak programs in release mode (-O3, no sanitizers) in
# build-soak/; sourced by the soak scripts. Tests are built (the soak programs
# live with them), benchmarks are not.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/scripts/setup" >&2
cmake -S "$root" -B "$root/build-soak" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DHOOKLINE_BUILD_BENCH=OFF >&2
cmake --build "$root/build-soak" --parallel "$(nproc)" --target hookd "$@" >&2
