#!/usr/bin/env bash
# Checks the example systemd units in contrib/: `systemd-analyze verify` must
# accept them without a single warning (it exits 0 on unknown keys and bad
# values, only printing them), and hookd.service must give hookd time to stop:
# TimeoutStopSec above twice --shutdown-grace (API drain, then deliveries).
#   verify_units.sh CONTRIB_DIR HOOKD_BINARY
# Exits 77 (skipped) where systemd-analyze is not installed.
set -euo pipefail
contrib=$1 hookd=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not installed: skipped"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hookline-units-XXXXXX")
trap 'rm -rf "$work"' EXIT

# verify also checks that ExecStart's binary exists: point it at the built one.
units=()
for f in "$contrib"/*.service "$contrib"/*.timer; do
  sed "s#/usr/local/bin/hookd#$hookd#g" "$f" >"$work/$(basename "$f")"
  units+=("$work/$(basename "$f")")
done
# Outside a booted systemd (containers, CI) verify cannot reach the manager;
# offline checks still run. Unit-file diagnostics are what this test is about.
set +e
(cd "$work" && systemd-analyze verify --man=no "${units[@]}") >"$work/out" 2>&1
rc=$?
set -e
cat "$work/out"
if [ $rc -ne 0 ] || grep -q . "$work/out"; then
  echo "FAILED: systemd-analyze verify reported problems (exit $rc)"
  exit 1
fi

seconds() {  # 30s, 2min, 1min 30s -> seconds (the forms used in the units)
  local text=$1 total=0
  while [[ $text =~ ^[[:space:]]*([0-9]+)(min|s)(.*)$ ]]; do
    local n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
    text=${BASH_REMATCH[3]}
    if [ "$unit" = min ]; then total=$((total + n * 60)); else total=$((total + n)); fi
  done
  [ -z "${text// /}" ] || { echo "cannot read duration '$1'" >&2; return 1; }
  echo $total
}
unit=$contrib/hookd.service
stop=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
grace=$(sed -n 's/^ExecStart=.*--shutdown-grace \([0-9a-z]*\).*/\1/p' "$unit")
[ -n "$stop" ] && [ -n "$grace" ] || { echo "FAILED: hookd.service lacks TimeoutStopSec or --shutdown-grace"; exit 1; }
stop_s=$(seconds "$stop")
grace_s=$(seconds "$grace")
if [ "$stop_s" -le $((2 * grace_s)) ]; then
  echo "FAILED: TimeoutStopSec=$stop is not above twice --shutdown-grace $grace"
  exit 1
fi
echo "units verified; TimeoutStopSec=$stop > 2 x --shutdown-grace $grace"
