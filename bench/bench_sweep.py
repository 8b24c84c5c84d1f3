"""Benchmark: the regional sweep — 20 staffing plans × 100 replications × ~50 coders × 60 working days.

About 6 million coder-days (``bench/regional.yaml``: the department grown to
~50 coders, a sweep of the main team over 20 counts). A fresh
``python -m sim run … --no-charts`` process, timed from outside, with the
peak of the *summed* resident memory of the process and all its workers
(sampled every 0.2 s with psutil), beside the minimal SimPy coder-day
measured in the same invocation. ``--dask`` runs the same on a
``distributed.LocalCluster`` of the same number of single-threaded workers.

``--reps`` below 100 measures a fraction of the sweep (every plan, fewer
replications); the line says which.

Run: python bench/bench_sweep.py [--reps 100] [--workers 2] [--dask]
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
from pathlib import Path

import psutil
from bench_baseline import minimal_day

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "bench" / "regional.yaml"


def coder_days(reps: int) -> int:
    """Working coder-days of the sweep at ``reps`` replications per plan (from the scenario, not the run)."""
    sys.path.insert(0, str(ROOT))
    from sim.scenario.config import load_scenario

    base = load_scenario(SCENARIO)
    plans = [base, *base.expanded().values()]
    working_days = len(base.shift.workdays) * base.days // 7
    return reps * working_days * sum(p.n_coders for p in plans)


def watched(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak summed RSS (MB) of ``cmd``, every process below it, and a LocalCluster's workers."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    me, peak = psutil.Process(), 0  # this process's children: the run, its workers and a LocalCluster's
    while proc.poll() is None:
        rss = 0
        for child in me.children(recursive=True):
            try:
                rss += child.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, rss)
        time.sleep(0.2)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return time.perf_counter() - started, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100, help="replications per plan (100: the whole sweep)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", action="store_true", help="on a distributed.LocalCluster instead of a process pool")
    args = parser.parse_args()
    days = coder_days(args.reps)
    t = time.perf_counter()
    n = 2000
    for r in range(n):
        minimal_day(r)
    yard = n / (time.perf_counter() - t)
    env = dict(os.environ)
    cluster = None
    extra = ["--workers", str(args.workers)]
    if args.dask:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        extra = ["--dask", cluster.scheduler_address]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--reps", str(args.reps), "--seed", "1",
               "--no-charts", "--out", str(Path(tmp) / "sweep"), *extra]
        seconds, mb = watched(cmd, env)
    if cluster is not None:
        cluster.close()
    rate = days / seconds
    where = f"Dask LocalCluster, {args.workers} workers" if args.dask else f"{args.workers} worker processes"
    share = "the whole sweep" if args.reps >= 100 else f"{args.reps} of 100 replications per plan"
    print(f"regional sweep, {share}: {days:,} coder-days in {seconds:,.0f} s on {where}: {rate:,.0f} coder-days/s, "
          f"{rate / yard:.2f}× the minimal SimPy day on one core ({yard:,.0f}/s); peak memory {mb:,.0f} MB "
          "(all processes)")
    if args.reps < 100:
        print(f"  the whole sweep at this rate: about {days * 100 / args.reps / rate / 60:.0f} min")
    print(json.dumps({"coder_days": days, "seconds": seconds, "coder_days_per_s": rate, "vs_yardstick": rate / yard,
                      "peak_mb": mb, "workers": args.workers, "dask": args.dask}))


if __name__ == "__main__":
    main()
