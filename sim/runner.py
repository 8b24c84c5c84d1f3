"""Replications, variants and worker processes → tables.

``run`` simulates every (variant, replication) pair, in chunks spread over
worker processes, and builds each table once. Replication r of every variant
uses the same random streams (common random numbers), and chunks are put back
in order, so the output is identical whatever the number of workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from sim.metrics import replication_metrics
from sim.model import coder_specs, simulate
from sim.scenario import Scenario
from sim.stats import compare, mser5, summarise
from sim.tables import Columns, charts_frame, coder_days_frame, days_frame

BASE = "base"
CHUNK = 50  # replications per task: large enough to amortise process overhead


@dataclass
class Results:
    """Everything a run produced, as pandas tables."""

    scenario: Scenario
    seed: int
    reps: int
    workers: int
    warmup: int
    coder_days: pd.DataFrame
    days: pd.DataFrame
    replications: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    charts: pd.DataFrame | None
    wall_seconds: float
    variants: dict[str, Scenario] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.replications.columns if c not in ("variant", "replication")]


def _simulate_chunk(scenario: Scenario, seed: int, reps: range) -> Columns:
    cols = Columns(list(scenario.chart_types))
    for r in reps:
        cols.add(simulate(scenario, seed, r))
    return cols


def _tables(scenario: Scenario, cols: Columns, reps: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    specs = coder_specs(scenario)
    charts = charts_frame(cols)
    coder_days = coder_days_frame(cols, charts, [s.team for s in specs], [s.level for s in specs])
    days = days_frame(charts, list(scenario.chart_types), list(range(reps)), scenario.days)
    return charts, coder_days, days


def run(
    scenario: Scenario,
    reps: int = 100,
    seed: int = 0,
    workers: int = 1,
    keep_charts: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Simulate ``reps`` replications of the scenario and of each of its variants."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    started = time.perf_counter()
    scenarios = {BASE: scenario, **scenario.expanded()}
    tasks = [
        (name, range(lo, min(lo + CHUNK, reps))) for name in scenarios for lo in range(0, reps, CHUNK)
    ]
    collected = {name: Columns(list(s.chart_types)) for name, s in scenarios.items()}
    done = 0
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_simulate_chunk, scenarios[n], seed, r) for n, r in tasks]
            for (name, r), future in zip(tasks, futures):
                collected[name].extend(future.result())
                done += len(r)
                if progress:
                    progress(done, reps * len(scenarios))
    else:
        for name, r in tasks:
            collected[name].extend(_simulate_chunk(scenarios[name], seed, r))
            done += len(r)
            if progress:
                progress(done, reps * len(scenarios))

    tables = {name: _tables(scenarios[name], collected[name], reps) for name in scenarios}
    warmup = _warmup(scenario, tables[BASE][2])
    per_variant = []
    for name, (charts, coder_days, days) in tables.items():
        salaries = [s.salary for s in coder_specs(scenarios[name])]
        metrics = replication_metrics(scenarios[name], charts, coder_days, days, warmup, salaries)
        per_variant.append(metrics.assign(variant=name))
    replications = _with_variant(pd.concat(per_variant, ignore_index=True))
    metric_names = [c for c in replications.columns if c not in ("variant", "replication")]
    summary = pd.concat(
        [
            summarise(replications.loc[replications["variant"] == name], metric_names).assign(variant=name)
            for name in scenarios
        ],
        ignore_index=True,
    )
    summary = _with_variant(summary)
    comparison = compare(replications, metric_names, base=BASE)

    def stacked(i: int, mark_warmup: bool) -> pd.DataFrame:
        frame = pd.concat([tables[name][i].assign(variant=name) for name in scenarios], ignore_index=True)
        if mark_warmup:
            frame["warmup"] = frame["day"] < warmup
        return _with_variant(frame)

    return Results(
        scenario=scenario,
        seed=seed,
        reps=reps,
        workers=workers,
        warmup=warmup,
        coder_days=stacked(1, True),
        days=stacked(2, True),
        replications=replications,
        summary=summary,
        comparison=comparison,
        charts=stacked(0, False) if keep_charts else None,
        wall_seconds=time.perf_counter() - started,
        variants={k: v for k, v in scenarios.items() if k != BASE},
    )


def _warmup(scenario: Scenario, days: pd.DataFrame) -> int:
    """Days to leave out: as set, or by MSER-5 on the mean daily backlog."""
    if scenario.warmup_days != "auto":
        return int(scenario.warmup_days)
    series = days.groupby("day")["backlog"].mean().to_numpy(dtype=float)
    return mser5(series)


def _with_variant(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["variant"] + [c for c in frame.columns if c != "variant"]
    return frame[cols]

