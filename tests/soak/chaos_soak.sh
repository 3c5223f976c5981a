#!/usr/bin/env bash
# Chaos soak, one command: builds in release mode if needed, then has a real
# hookd deliver to a receiver answering 30 % 500s, dropping 5 % of connections
# and answering 10 % slowly; checks every event ends succeeded within the retry
# schedule and prints the spread of the gaps between attempts (the jitter).
#   tests/soak/chaos_soak.sh [--events 5000] [--rate 100] [--clients 4] [--workers 8]
#     [--schedule 20ms,40ms,...] [--jitter 0.2] [--timeout 1s] [--fail-500 0.30]
#     [--drop 0.05] [--slow 0.10] [--slow-ms 200] [--duration-cap 120] [--seed N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build_release.sh" chaos_soak
exec "$here/../../build-soak/tests/chaos_soak" "$@"
