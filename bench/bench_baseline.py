"""Benchmark: coder-days simulated per second on the baseline scenario.

Reports, on this machine, one core:
- the full model (sim.model.department.simulate: draw charts, run SimPy, records);
- the whole pipeline (sim.run: replications → tables → metrics → summary);
- a minimal idiomatic SimPy coder-day (30 charts, three types, queries,
  breaks as timeouts) as the yardstick, and the ratio of each to it.

Run: python bench/bench_baseline.py [--reps 3000]
Speed is reported as ratios on the same machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import simpy

import sim
from sim.model.department import Department

ROOT = Path(__file__).resolve().parents[1]


def minimal_day(seed: int) -> int:
    """A plain SimPy coder-day: 30 charts of three types, queries, three breaks."""
    rng = random.Random(seed)
    env = simpy.Environment()
    queue = simpy.Store(env)
    times = {"inpatient": (15, 20), "outpatient": (5, 10), "surgical": (20, 30)}
    for _ in range(30):
        kind = rng.choices(list(times), weights=(45, 45, 10))[0]
        queue.put((kind, rng.uniform(*times[kind]), rng.random() < 0.1))
    coded = 0

    def answer(chart: tuple) -> simpy.events.ProcessGenerator:
        yield env.timeout(rng.expovariate(1 / 4320))
        yield queue.put((chart[0], 4.0, False))

    def coder() -> simpy.events.ProcessGenerator:
        nonlocal coded
        yield env.timeout(480)
        breaks = [600.0, 720.0, 870.0]
        while env.now < 990:
            if breaks and env.now >= breaks[0]:
                breaks.pop(0)
                yield env.timeout(15)
                continue
            kind, minutes, query = yield queue.get()
            yield env.timeout(minutes)
            if query:
                env.process(answer((kind, minutes, query)))
            else:
                coded += 1

    env.process(coder())
    env.run(until=1440)
    return coded


def rate(label: str, n: int, seconds: float, coder_days: int, yardstick: float | None) -> float:
    per_s = coder_days / seconds
    ratio = f"{per_s / yardstick:5.2f}×" if yardstick else "  1.00×"
    print(f"{label:44} {n:6d} reps {seconds:7.2f} s {per_s:10,.0f} coder-days/s  {ratio}")
    return per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000)
    args = parser.parse_args()
    n = args.reps
    scenario = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")

    t = time.perf_counter()
    for r in range(n):
        minimal_day(r)
    yardstick = rate("minimal SimPy coder-day (yardstick)", n, time.perf_counter() - t, n, None)

    t = time.perf_counter()
    department = Department(scenario)
    for r in range(n):
        department.simulate(7, r)
    rate("chartsim model (Department.simulate)", n, time.perf_counter() - t, n, yardstick)

    t = time.perf_counter()
    results = sim.run(scenario, reps=n, seed=7)
    rate("chartsim pipeline (sim.run → tables)", n, time.perf_counter() - t, len(results.coder_days), yardstick)

    week = sim.load_scenario(ROOT / "scenarios" / "slow_queries.yaml")
    t = time.perf_counter()
    results = sim.run(week, reps=max(n // 10, 10), seed=7)
    days = int((results.coder_days["variant"] == "base").sum())
    rate("slow_queries: 1 coder × 14 days, 2 variants", max(n // 10, 10), time.perf_counter() - t,
         len(results.coder_days), yardstick)
    del days


if __name__ == "__main__":
    main()
