"""Benchmark: the whole ``chartsim run`` process against the minimal SimPy coder-day.

Each figure comes from a fresh ``python -m sim run …`` process (start-up,
simulation, tables, writing the run folder: what a user waits for), timed on
this machine beside the yardstick measured in the same invocation, with the
process's peak memory (its own and its workers'):

- baseline, 3,000 replications, one worker: coder-days per second, and the
  ratio to the minimal idiomatic SimPy coder-day (``bench_baseline.minimal_day``);
- peak memory at 1,000 and 20,000 replications (the ratio should stay near 1:
  per-chart rows are streamed to disk, never all held);
- two workers against one on the same run;
- start-up: ``--help``, ``check`` and ``metrics``, and the fixed cost of any
  run, ``run baseline --reps 1``;
- the issue-23 row: ``run baseline --reps 30000 --no-charts --workers 1``
  (``--whole-reps``) against the yardstick over as many coder-days, timed
  just before it;
- with ``--department``: the department scenario, 200 replications, two workers;
  and 10 replications as a manager types it (``--workers auto``, the default)
  against ``--workers 1`` (the default before).

Run: python bench/bench_run.py [--reps 3000] [--department]
Reported as ratios on one machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_baseline import minimal_day

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
)


def measure(*args: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``python -m sim ARGS`` (largest of its processes)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "sim", *args],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    seconds, kb, rc = float(out[0]), float(out[1]), int(out[2])
    if rc != 0:
        raise SystemExit(f"chartsim {' '.join(args)} exited {rc}")
    return seconds, kb / 1024


def yardstick(n: int) -> float:
    t = time.perf_counter()
    for r in range(n):
        minimal_day(r)
    return n / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000)
    parser.add_argument("--department", action="store_true", help="also the 200-replication department run")
    parser.add_argument("--whole-reps", type=int, default=30000,
                        help="replications of the --no-charts one-worker run timed against the yardstick (0: skip)")
    args = parser.parse_args()
    n = args.reps
    rows: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def run(name: str, *extra: str) -> tuple[float, float]:
            return measure("run", str(BASELINE), "--seed", "7", "--out", str(Path(tmp) / name), *extra)

        base = yardstick(n)
        print(f"minimal SimPy coder-day (yardstick)        {base:10,.0f} coder-days/s   1.00×")
        seconds, mb = run("one", "--reps", str(n), "--workers", "1")
        rate = n / seconds
        print(f"chartsim run baseline, {n} reps, 1 worker {rate:10,.0f} coder-days/s  {rate / base:5.2f}×  "
              f"({seconds:.1f} s, peak {mb:.0f} MB)")
        rows["whole_run_vs_yardstick"] = rate / base
        seconds2, mb2 = run("two", "--reps", str(n), "--workers", "2")
        print(f"  two workers                                {n / seconds2:10,.0f} coder-days/s  "
              f"{seconds / seconds2:5.2f}× one worker (peak {mb2:.0f} MB)")
        rows["two_workers_vs_one"] = seconds / seconds2
        _, small = run("m1k", "--reps", "1000", "--workers", "1")
        _, large = run("m20k", "--reps", "20000", "--workers", "1")
        print(f"peak memory: 1,000 reps {small:.0f} MB, 20,000 reps {large:.0f} MB: {large / small:.2f}×")
        rows["memory_20k_vs_1k"] = large / small
        for label, cmd in (("--help", ["--help"]), ("check", ["check", str(BASELINE)]), ("metrics", ["metrics"])):
            best = min(measure(*cmd)[0] for _ in range(3))
            print(f"start-up: chartsim {label:10} {best:.2f} s")
            rows[f"startup_{label.strip('-')}_s"] = best
        best = min(run(f"one{i}", "--reps", "1")[0] for i in range(3))
        print(f"fixed cost of a run: chartsim run baseline --reps 1  {best:.2f} s")
        rows["run_reps_1_s"] = best
        if args.whole_reps:
            n = args.whole_reps
            t = time.perf_counter()
            for r in range(n):
                minimal_day(r)
            yard = time.perf_counter() - t
            seconds, mb = run("whole", "--reps", str(n), "--no-charts", "--workers", "1")
            print(f"run baseline --reps {n} --no-charts --workers 1: {seconds:.1f} s against the yardstick's "
                  f"{yard:.1f} s: {yard / seconds:.2f}× (peak {mb:.0f} MB)")
            rows["whole_no_charts_vs_yardstick"] = yard / seconds
        if args.department:
            seconds, mb = measure("run", str(ROOT / "scenarios" / "department.yaml"), "--reps", "200", "--seed", "7",
                                  "--workers", "2", "--out", str(Path(tmp) / "dept"))
            print(f"department, 200 reps, 2 workers: {seconds:.0f} s, peak {mb:.0f} MB")
            rows["department_200_seconds"], rows["department_200_peak_mb"] = seconds, mb
            dept = ("run", str(ROOT / "scenarios" / "department.yaml"), "--reps", "10", "--seed", "7", "--no-charts")
            one, one_mb = measure(*dept, "--workers", "1", "--out", str(Path(tmp) / "dept1"))
            auto, auto_mb = measure(*dept, "--out", str(Path(tmp) / "dept_auto"))
            print(f"department, 10 reps as typed (--workers auto): {auto:.1f} s, peak {auto_mb:.0f} MB; "
                  f"--workers 1: {one:.1f} s, peak {one_mb:.0f} MB: {one / auto:.2f}×")
            rows["department_10_auto_vs_one"] = one / auto
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
