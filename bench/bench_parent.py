"""Benchmark: how busy the parent process is while workers simulate, and what that allows on more cores.

A run with worker processes is limited by its parent once the parent's own
work per task (sending the task, taking back and writing its tables) adds up
to the wall time: with W workers each task's simulation takes the workers'
time per task / W of the parent's wall clock, so the parent's busy share is
about W × parent CPU / workers' CPU per task. This runs ``sim.run_to_folder``
(what ``chartsim run`` does) with two workers at two sizes, reads the CPU
time of the parent (all its threads: the pool's result thread unpickles the
tasks' tables) and of its workers, and from the difference between the sizes
(fixed costs — imports, the summary — cancel out) reports the parent's busy
share now and projected at 16 workers; near 100 % the parent, not the cores,
would set the pace.

Run: python bench/bench_parent.py [--baseline-reps 20000] [--department-reps 16] [--workers 2]
Reported as ratios on one machine, never asserted in tests. On a machine
with many cores, ``bench/bench_scaling.py`` measures the speed-up itself.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]


def _cpu(who: int) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


def measure(scenario: str, reps: int, workers: int) -> dict[str, float]:
    """Wall seconds, parent CPU seconds and workers' CPU seconds of one run (the pool is shut down at its end)."""
    loaded = sim.load_scenario(ROOT / "scenarios" / scenario)
    with tempfile.TemporaryDirectory() as tmp:
        parent, children, t = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        sim.run_to_folder(loaded, Path(tmp) / "run", workers=workers, reps=reps, seed=7, charts=False)
        wall = time.perf_counter() - t
        parent = _cpu(resource.RUSAGE_SELF) - parent
        children = _cpu(resource.RUSAGE_CHILDREN) - children
    return {"wall": wall, "parent": parent, "workers": children}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-reps", type=int, default=20000)
    parser.add_argument("--department-reps", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for scenario in ("baseline.yaml", "department.yaml"):  # imports and first calls paid before timing
        sim.run(sim.load_scenario(ROOT / "scenarios" / scenario), reps=2)
    for scenario, reps in (("baseline.yaml", args.baseline_reps), ("department.yaml", args.department_reps)):
        half, full = measure(scenario, reps // 2, args.workers), measure(scenario, reps, args.workers)
        # The parent's work per task: what the second half of the replications added to each side.
        ratio = (full["parent"] - half["parent"]) / (full["workers"] - half["workers"])
        print(f"{scenario:16} {reps:6d} reps, {args.workers} workers: wall {full['wall']:6.1f} s, "
              f"parent CPU {full['parent']:5.2f} s (of which fixed {2 * half['parent'] - full['parent']:5.2f} s), "
              f"workers' CPU {full['workers']:6.1f} s; parent busy with tasks {args.workers * ratio:6.1%} now, "
              f"{16 * ratio:6.1%} projected at 16 workers")


if __name__ == "__main__":
    main()
