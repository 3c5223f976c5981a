#!/usr/bin/env bash
# Crash soak, one command: builds in release mode if needed, then posts events
# from keep-alive clients to a real hookd while it is killed with SIGKILL at
# random moments and restarted; checks that every acknowledged event was
# delivered, nothing is left pending, and duplicates stay within what was in
# flight at the kills. Prints one summary line; exits non-zero if a check failed.
#   tests/soak/crash_soak.sh [--kills 20] [--clients 4] [--duration-cap 120]
#                            [--workers 8] [--receiver-delay-ms 2] [--seed N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/build_release.sh" crash_soak
exec "$here/../../build-soak/tests/crash_soak" "$@"
