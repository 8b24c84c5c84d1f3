"""Benchmark: coder-days simulated per second on the baseline scenario.

Reports, on this machine, one core:
- a minimal idiomatic SimPy coder-day (30 charts, three types, queries,
  breaks as timeouts) as the yardstick;
- the model (Department.replications: draw charts, run SimPy, records), with
  and without the clock's lookahead (sim.model.clock);
- ``sim.run`` in a warm process (replications → tables → metrics → summary):
  what a notebook or the page waits for;
- a longer run, one coder over 14 days with two variants;
each as coder-days per second and as a ratio to the yardstick timed in the
same round. Rows are timed in interleaved rounds (``--rounds``), so a slow
spell of a shared machine falls on every row alike; shown: the best time
against the yardstick's best, and the median and range of each round's ratio.

Run: python bench/bench_baseline.py [--reps 3000] [--rounds 5]
Speed is reported as ratios on the same machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
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


def _model(scenario: sim.Scenario, n: int, lookahead: bool) -> None:
    """The model alone, as a run's task drives it (the cyclic collector off, records dropped as they come)."""
    gc.disable()
    try:
        for _ in Department(scenario, lookahead).replications(7, range(n)):
            pass
    finally:
        gc.enable()


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each timing every row once, interleaved")
    args = parser.parse_args()
    n = args.reps
    scenario = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    week = sim.load_scenario(ROOT / "scenarios" / "slow_queries.yaml")
    week_reps = max(n // 10, 10)
    week_days = len(sim.run(week, reps=1, seed=7).coder_days)  # coder-days of one replication, both variants
    sim.run(scenario, reps=10, seed=7)  # warm: imports and first calls are not what a warm process pays

    rows: dict[str, tuple[Callable[[], object], int]] = {
        "minimal SimPy coder-day (yardstick)": (lambda: [minimal_day(r) for r in range(n)], n),
        "chartsim model (Department.replications)": (lambda: _model(scenario, n, True), n),
        "  the same without lookahead": (lambda: _model(scenario, n, False), n),
        "sim.run(baseline) in a warm process": (lambda: sim.run(scenario, reps=n, seed=7), n),
        "sim.run(slow_queries): 1 coder × 14 days, 2 variants": (
            lambda: sim.run(week, reps=week_reps, seed=7), week_reps * week_days),
    }
    times: dict[str, list[float]] = {label: [] for label in rows}
    for _ in range(args.rounds):  # interleaved, so a slow spell of a shared machine hits every row alike
        for label, (fn, _days) in rows.items():
            times[label].append(_timed(fn))
    best_yard = n / min(times["minimal SimPy coder-day (yardstick)"])
    print(f"{n} replications, {args.rounds} rounds; ratio = coder-days/s over the yardstick's: best time against "
          "best time, then the median and range of the rounds' own ratios")
    for label, (_fn, days) in rows.items():
        per_s = days / min(times[label])
        ratios = sorted(days / t / (n / y) for t, y in zip(times[label], times["minimal SimPy coder-day (yardstick)"]))
        print(f"{label:54} {per_s:9,.0f} coder-days/s  {per_s / best_yard:5.2f}×  "
              f"(median {statistics.median(ratios):.2f}, {ratios[0]:.2f}–{ratios[-1]:.2f})")

if __name__ == "__main__":
    main()
