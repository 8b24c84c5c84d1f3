"""Benchmark: a 50-coder department over 60 working days, against the single coder.

The bundled department (10 coders) is scaled five-fold — every team and every
daily volume and the starting queue ×5 — so load per coder is unchanged, and
run for its 84 calendar days (60 working days): one replication is 3,000
coder-days and about 96,000 charts. Reported, on this machine, one core:

- seconds per replication and coder-days per second of the model
  (``sim.model.department.simulate``), and of the whole pipeline (``sim.run``: model,
  tables, metrics, summary);
- the same rate for the single-coder baseline day (``scenarios/baseline.yaml``),
  and the ratio of the two: how close a coder-day in a big department comes to
  a coder-day alone.

Run: python bench/bench_department.py [--reps 3] [--baseline-reps 2000]
Speed is reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import yaml

import sim
from sim.model.department import simulate
from sim.scenario.config import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
SCALE = 5


def department_50() -> sim.Scenario:
    """The bundled department ×5: 50 coders, five times the volume, no what-ifs."""
    data = yaml.safe_load((ROOT / "scenarios" / "department.yaml").read_text())
    data = copy.deepcopy(data)
    data["name"] = "department ×5 (50 coders)"
    data["variants"] = {}
    data["coders"]["count"] *= SCALE
    for team in data["coders"]["teams"].values():
        team["count"] *= SCALE
    for volume in data["arrivals"]["daily"].values():
        volume["count"]["mean"] *= SCALE
    backlog = data["arrivals"]["backlog"]
    backlog["low"], backlog["high"] = backlog["low"] * SCALE, backlog["high"] * SCALE
    data["overtime"]["backlog_threshold"] *= SCALE
    return parse_scenario(data, "department ×5")


def time_model(scenario: sim.Scenario, reps: int) -> tuple[float, int, int]:
    """Seconds, coder-days and charts of ``reps`` replications of the model alone."""
    coder_days = charts = 0
    started = time.perf_counter()
    for r in range(reps):
        records = simulate(scenario, 7, r)
        coder_days += len(records.coder_days)
        charts += len(records.charts)
    return time.perf_counter() - started, coder_days, charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="replications of the 50-coder department")
    parser.add_argument("--baseline-reps", type=int, default=2000, help="replications of the one-coder day")
    args = parser.parse_args()

    big = department_50()
    base = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    simulate(big, 7, 999)  # warm caches and imports outside the timing
    simulate(base, 7, 999)

    rows = []
    seconds, days, charts = time_model(base, args.baseline_reps)
    base_rate = days / seconds
    rows.append(("baseline: 1 coder × 1 day (model)", args.baseline_reps, seconds, days, charts))
    seconds, days, charts = time_model(big, args.reps)
    rows.append(("department: 50 coders × 60 days (model)", args.reps, seconds, days, charts))
    started = time.perf_counter()
    results = sim.run(big, reps=args.reps, seed=7, keep_charts=False)
    seconds = time.perf_counter() - started
    rows.append(("department: 50 coders × 60 days (sim.run)", args.reps, seconds, len(results.coder_days), 0))

    print(f"{'':44} {'reps':>6} {'s/rep':>9} {'coder-days':>11} {'coder-days/s':>13} {'charts/s':>10} {'vs baseline':>12}")
    for label, reps, seconds, days, charts in rows:
        per_s = days / seconds
        charts_s = f"{charts / seconds:10,.0f}" if charts else f"{'':>10}"
        print(f"{label:44} {reps:6d} {seconds / reps:9.4f} {days // reps:11,d} {per_s:13,.0f} {charts_s} {per_s / base_rate:11.2f}×")
    u = results.summary.set_index("metric").loc["utilisation", "mean"]
    print(f"(50-coder department: utilisation {u:.2f}, {len(big.chart_types)} chart types, one core)")


if __name__ == "__main__":
    main()
