#!/usr/bin/env python3
"""Collects the benchmarks' JSON files into bench/results.json and bench/results.md.

Used by bench/run; also by the bench-smoke test, which checks with --check that
every benchmark wrote the keys the report needs (never the speeds).

  collect_results.py --out-md MD --out-json JSON --meta KEY=VALUE... BENCH.json...
  collect_results.py --check BENCH.json...
"""
import argparse
import json
import sys

# What every benchmark's file must hold, and what each row must hold.
TOP_KEYS = ("benchmark", "build_type", "rows")
ROW_KEYS = ("name", "unit", "value", "baseline", "ratio", "goal", "pass", "note")
# The figures the issue asks for, by benchmark: a renamed or lost row fails the check.
EXPECTED_ROWS = {
    "hookd_bench": ("ingest, 1 clients", "ingest, 8 clients", "ingest, 64 clients",
                    "delivery, backlog drain", "end-to-end latency p50",
                    "end-to-end latency p95", "end-to-end latency p99"),
    "backlog_bench": ("delivery over a", "hookd peak RSS over a"),
    "receiver_bench": ("receiver: verify + dedupe",),
}


def problems(doc, path):
    """What is missing or malformed in one benchmark's JSON, as readable lines."""
    out = [f"{path}: no key '{k}'" for k in TOP_KEYS if k not in doc]
    if out:
        return out
    rows = doc["rows"]
    if not isinstance(rows, list) or not rows:
        return [f"{path}: 'rows' is empty"]
    for row in rows:
        out += [f"{path}: row {row.get('name')!r} has no '{k}'" for k in ROW_KEYS if k not in row]
        if not isinstance(row.get("value"), (int, float)):
            out.append(f"{path}: row {row.get('name')!r} has no numeric value")
    names = [r.get("name", "") for r in rows]
    for want in EXPECTED_ROWS.get(doc["benchmark"], ()):
        if not any(n.startswith(want) for n in names):
            out.append(f"{path}: no row '{want}...'")
    return out


def number(v, unit):
    if v is None:
        return ""
    if unit in ("ms", "MiB", "s"):
        return f"{v:,.2f}"
    return f"{v:,.0f}"


def markdown(docs, meta):
    lines = ["# Benchmark results", ""]
    lines.append("Written by `bench/run`; every ratio is to a baseline measured in the same run "
                 "on the same machine (loopback only).")
    lines.append("")
    for key in ("date", "git commit", "nproc", "load average before", "load average after",
                "fsync median (4 KiB + fdatasync)", "build type", "wall time", "arguments"):
        if key in meta:
            lines.append(f"- {key}: {meta[key]}")
    for doc in docs:
        if "hookd_flags" in doc:
            lines.append(f"- {doc['benchmark']}: hookd {doc['hookd_flags']}")
    lines += ["", "| figure | hookd | same-run baseline | ratio | goal | met/missed |",
              "|---|---|---|---|---|---|"]
    notes = []
    for doc in docs:
        for r in doc["rows"]:
            ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
            verdict = "" if r["pass"] is None else ("met" if r["pass"] else "**missed**")
            lines.append(f"| {r['name']} ({r['unit']}) | {number(r['value'], r['unit'])} | "
                         f"{number(r['baseline'], r['unit'])} | {ratio} | {r['goal']} | "
                         f"{verdict} |")
            if r["note"]:
                notes.append(f"- {r['name']}: {r['note']}")
    failed = [m for m in meta.get("failed", "").split(",") if m]
    if failed:
        lines += ["", f"**Did not complete:** {', '.join(failed)} (see the run's output)."]
    lines += ["", "Notes:", ""] + notes
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true")
    p.add_argument("--out-md")
    p.add_argument("--out-json")
    p.add_argument("--meta", action="append", default=[])
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    docs, errors = [], []
    for path in a.files:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            errors.append(f"{path}: {e}")
            continue
        errors += problems(doc, path)
        docs.append(doc)
    if a.check:
        for e in errors:
            print(e, file=sys.stderr)
        print(f"collect_results.py: {len(docs)} files, {len(errors)} problems")
        return 1 if errors or not docs else 0
    meta = dict(m.split("=", 1) for m in a.meta)
    for doc in docs:
        env = doc.get("environment_before", {})
        if "fsync_median_ms" in env and "fsync median (4 KiB + fdatasync)" not in meta:
            meta["fsync median (4 KiB + fdatasync)"] = f"{env['fsync_median_ms']:.3f} ms"
    with open(a.out_json, "w") as f:
        json.dump({"meta": meta, "benchmarks": docs, "problems": errors}, f, indent=2)
    with open(a.out_md, "w") as f:
        f.write(markdown([d for d in docs if "rows" in d], meta))
    for e in errors:
        print(e, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
