#!/usr/bin/env python3
"""Summarises scripts/load.sh results: one table row per wrk run, the median of each
phase over the rounds, and the ratios against their targets (the report ones only when
the report phases ran).

Input on stdin, one line per run: `ROUND PHASE RESULT key=value ...` (wrk, scripts/load.lua
or scripts/report.lua; phase `report-stream` is the steady report stream beside
`gateway+reports`) or `ROUND writes WRITES key=value ...` (scripts/admin_writes.py).
Exits 1 if the gateway answered any non-2xx response or had socket errors.
"""

import statistics
import sys

PHASES = ["baseline", "gateway", "gateway+swaps", "report-baseline", "report-gateway", "gateway+reports",
          "report-stream", "baseline+attrs", "gateway+attrs"]
GATEWAY_PHASES = {"gateway", "gateway+swaps", "report-gateway", "gateway+reports", "report-stream",
                  "gateway+attrs"}
COLUMNS = ["rps", "p50_us", "p99_us", "max_us", "non2xx", "socket_errors"]


def parse(line):
    round_, phase, _tag, *pairs = line.split()
    return int(round_), phase, {k: float(v) for k, v in (p.split("=", 1) for p in pairs)}


def row(label, values):
    print(f"{label:<22}" + "".join(f"{v:>14}" for v in values))


def main():
    runs = [parse(line) for line in sys.stdin if line.strip()]
    row("round phase", COLUMNS)
    for round_, phase, r in runs:
        if phase in PHASES:
            row(f"{round_} {phase}", [f"{r[c]:.0f}" for c in COLUMNS])
    median = {}
    for phase in PHASES:
        rs = [r for _, p, r in runs if p == phase]
        if not rs:
            continue
        median[phase] = {c: statistics.median(r[c] for r in rs) for c in COLUMNS}
        row(f"median {phase}", [f"{median[phase][c]:.0f}" for c in COLUMNS])
    for round_, phase, r in runs:
        if phase == "writes":
            print(f"round {round_} admin writes: " + " ".join(f"{k}={v:g}" for k, v in r.items()))
    print()
    verdicts = [
        ("throughput gateway / baseline", median["gateway"]["rps"] / median["baseline"]["rps"], ">=", 0.85),
        ("p99 gateway / baseline", median["gateway"]["p99_us"] / median["baseline"]["p99_us"], "info", None),
        ("p99 with swaps / without", median["gateway+swaps"]["p99_us"] / median["gateway"]["p99_us"], "<=", 1.20),
        ("throughput with swaps / without", median["gateway+swaps"]["rps"] / median["gateway"]["rps"], "info", None),
    ]
    if "report-gateway" in median:
        verdicts += [
            ("reports/s gateway / baseline", median["report-gateway"]["rps"] / median["report-baseline"]["rps"],
             ">=", 0.80),
            ("report p99 gateway / baseline", median["report-gateway"]["p99_us"] / median["report-baseline"]["p99_us"],
             "info", None),
            ("p99 with report stream / without", median["gateway+reports"]["p99_us"] / median["gateway"]["p99_us"],
             "<=", 1.20),
            ("throughput with stream / without", median["gateway+reports"]["rps"] / median["gateway"]["rps"],
             "info", None),
        ]
    if "gateway+attrs" in median:
        verdicts += [
            ("attrs: rps gateway / baseline", median["gateway+attrs"]["rps"] / median["baseline+attrs"]["rps"],
             ">=", 0.85),
            ("attrs: p99 gateway / baseline", median["gateway+attrs"]["p99_us"] / median["baseline+attrs"]["p99_us"],
             "info", None),
            ("throughput gateway+attrs / gateway", median["gateway+attrs"]["rps"] / median["gateway"]["rps"],
             "info", None),
        ]
    for name, value, op, limit in verdicts:
        if limit is None:
            print(f"{name:<34} {value:6.3f}")
        else:
            met = value >= limit if op == ">=" else value <= limit
            print(f"{name:<34} {value:6.3f}  (target {op} {limit})  {'met' if met else 'MISSED'}")
    errors = sum(r["non2xx"] + r["socket_errors"] for _, p, r in runs if p in GATEWAY_PHASES)
    if errors:
        print(f"the gateway answered {errors:.0f} non-2xx responses or socket errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
