"""Benchmark: how a whole ``chartsim run`` scales with worker processes.

For 1, 2, 4, … up to the machine's cores: the wall time of a fresh
``python -m sim run`` process (no per-chart tables) on the baseline (many
one-coder days) and on the department (few, long replications with
variants), as speed-up over one worker; beside it a plain process pool of
the minimal SimPy coder-day, the ceiling for this machine.

Run: python bench/bench_scaling.py [--baseline-reps 20000] [--department-reps 16]
Reported as ratios on one machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench_baseline import minimal_day

ROOT = Path(__file__).resolve().parents[1]


def whole_run(scenario: str, reps: int, workers: int, out: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / scenario), "--reps", str(reps),
                    "--seed", "7", "--workers", str(workers), "--no-charts", "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def _days(seeds: range) -> int:
    return sum(minimal_day(s) for s in seeds)


def yardstick_pool(days: int, workers: int) -> float:
    t = time.perf_counter()
    step = max(1, days // (4 * workers))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_days, [range(lo, min(lo + step, days)) for lo in range(0, days, step)]))
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-reps", type=int, default=20000)
    parser.add_argument("--department-reps", type=int, default=16)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    counts = [w for w in (1, 2, 4, 8, 16, 32, 64) if w <= cores]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w in counts:
            row = {
                "workers": w,
                "baseline_s": whole_run("baseline.yaml", args.baseline_reps, w, Path(tmp) / f"b{w}"),
                "department_s": whole_run("department.yaml", args.department_reps, w, Path(tmp) / f"d{w}"),
                "yardstick_s": yardstick_pool(args.baseline_reps, w),
            }
            rows.append(row)
            one = rows[0]
            print(f"{w:3d} workers  baseline {row['baseline_s']:7.1f} s ({one['baseline_s'] / row['baseline_s']:5.2f}×)"
                  f"  department {row['department_s']:7.1f} s ({one['department_s'] / row['department_s']:5.2f}×)"
                  f"  minimal SimPy pool {row['yardstick_s']:6.1f} s ({one['yardstick_s'] / row['yardstick_s']:5.2f}×)",
                  flush=True)
    print(json.dumps({"cores": cores, "rows": rows}))


if __name__ == "__main__":
    main()
