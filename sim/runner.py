"""Replications, variants and worker processes → tables.

``run`` simulates every (variant, replication) pair, in chunks spread over
worker processes, and builds each table once. Replication r of every variant
uses the same random streams (common random numbers), and chunks are put back
in order, so the output is identical whatever the number of workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from sim.analysis import PrecisionPlan, sequential_precision
from sim.metrics import replication_metrics
from sim.model import Department, coder_specs
from sim.scenario import Scenario
from sim.stats import compare, mser5, summarise
from sim.streams import stream_key
from sim.tables import Columns, activities_frame, charts_frame, coder_days_frame, days_frame

BASE = "base"
CHUNK = 50  # replications per task: large enough to amortise process overhead
Streams = Literal["common", "independent"]


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
    streams: Streams = "common"
    precision: pd.DataFrame | None = None  # set by run_to_precision
    activities: pd.DataFrame | None = None  # breaks and billing questions, kept with the charts

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.replications.columns if c not in ("variant", "replication")]


def _simulate_chunk(scenario: Scenario, seed: int, reps: range) -> Columns:
    cols = Columns(list(scenario.chart_types))
    department = Department(scenario)
    for r in reps:
        cols.add(department.simulate(seed, r))
    return cols


def _tables(scenario: Scenario, cols: Columns) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The charts, coder-days and days tables of the replications in ``cols``."""
    specs = coder_specs(scenario)
    charts = charts_frame(cols)
    coder_days = coder_days_frame(cols, charts, [s.team for s in specs], [s.level for s in specs])
    days = days_frame(charts, list(scenario.chart_types), cols.replications, scenario.days)
    return charts, coder_days, days


def scenario_seed(seed: int, name: str, streams: Streams = "common") -> int:
    """The seed a scenario's streams derive from.

    ``common``: every variant uses the run's seed, so replication r sees the
    same draws everywhere (common random numbers, compared by paired-t).
    ``independent``: the base keeps the run's seed and each variant mixes its
    name in, seed · 2⁶⁴ + key(name), so variants are independent samples
    (compared by Welch) and still reproducible whatever the worker count.
    """
    if streams not in ("common", "independent"):
        raise ValueError(f"streams must be 'common' or 'independent' (got {streams!r})")
    if streams == "common" or name == BASE:
        return seed
    return seed * 2**64 + stream_key(f"variant:{name}")


def run(
    scenario: Scenario,
    reps: int = 100,
    seed: int = 0,
    workers: int = 1,
    keep_charts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    streams: Streams = "common",
) -> Results:
    """Simulate ``reps`` replications of the scenario and of each of its variants."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    started = time.perf_counter()
    scenarios = {BASE: scenario, **scenario.expanded()}
    seeds = {name: scenario_seed(seed, name, streams) for name in scenarios}
    collected = {name: Columns(list(s.chart_types)) for name, s in scenarios.items()}
    if workers > 1 and len(scenarios) * -(-reps // CHUNK) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            _simulate_into(collected, scenarios, seeds, range(reps), pool, progress)
    else:
        _simulate_into(collected, scenarios, seeds, range(reps), None, progress)
    return _assemble(scenario, scenarios, collected, reps, seed, workers, keep_charts, streams, started)


def _simulate_into(
    collected: dict[str, Columns],
    scenarios: dict[str, Scenario],
    seeds: dict[str, int],
    reps: range,
    pool: Executor | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Simulate replications ``reps`` of every scenario and append them, in order, to ``collected``."""
    tasks = [
        (name, range(lo, min(lo + CHUNK, reps.stop)))
        for name in scenarios
        for lo in range(reps.start, reps.stop, CHUNK)
    ]
    done, total = 0, len(reps) * len(scenarios)
    if pool is not None and len(tasks) > 1:
        futures = [pool.submit(_simulate_chunk, scenarios[n], seeds[n], r) for n, r in tasks]
        results = (f.result() for f in futures)
    else:
        results = (_simulate_chunk(scenarios[n], seeds[n], r) for n, r in tasks)
    for (name, r), cols in zip(tasks, results):
        collected[name].extend(cols)
        done += len(r)
        if progress:
            progress(done, total)


def _assemble(
    scenario: Scenario,
    scenarios: dict[str, Scenario],
    collected: dict[str, Columns],
    reps: int,
    seed: int,
    workers: int,
    keep_charts: bool,
    streams: Streams,
    started: float,
) -> Results:
    """Tables, warm-up, per-replication metrics, summary and comparison from simulated columns."""
    tables = {name: _tables(scenarios[name], collected[name]) for name in scenarios}
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
    comparison = compare(replications, metric_names, base=BASE, paired=streams == "common")

    def stacked(i: int, mark_warmup: bool) -> pd.DataFrame:
        frame = pd.concat([tables[name][i].assign(variant=name) for name in scenarios], ignore_index=True)
        if mark_warmup:
            frame["warmup"] = frame["day"] < warmup
        return _with_variant(frame)

    activities = None
    if keep_charts:
        activities = _with_variant(pd.concat(
            [activities_frame(collected[name]).assign(variant=name) for name in scenarios], ignore_index=True
        ))
    return Results(
        activities=activities,
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
        streams=streams,
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


def run_to_precision(
    scenario: Scenario,
    plan: PrecisionPlan,
    metrics: list[str] | None = None,
    seed: int = 0,
    workers: int = 1,
    keep_charts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    streams: Streams = "common",
) -> Results:
    """Add replications in batches until the key metrics are precise enough (see sim.analysis).

    The first check is at ``plan.min_reps`` replications, then every
    ``plan.batch`` up to the budget ``plan.max_reps``. Replication r is the
    same whenever it is run, so each batch simulates only the new
    replications and the final results equal ``run`` with the number of
    replications reached. ``metrics`` (names from ``sim.registry``; an
    unknown one is a ValueError) defaults to every metric the first batch
    observes; a metric with fewer than two values at the first check cannot
    be judged and is left out. Each (variant, metric) must converge.
    ``Results.precision`` has one row per variant and metric checked, with
    the rule that set its limit (``criterion``: relative | absolute).
    """
    if metrics is not None:
        from sim.registry import metric_names

        known = metric_names(scenario.chart_types)
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ValueError(f"unknown metric {', '.join(unknown)}; known: {', '.join(known)}")
        metrics = list(dict.fromkeys(metrics))
    started = time.perf_counter()
    scenarios = {BASE: scenario, **scenario.expanded()}
    seeds = {name: scenario_seed(seed, name, streams) for name in scenarios}
    collected = {name: Columns(list(s.chart_types)) for name, s in scenarios.items()}
    latest: dict[str, Results] = {}
    chosen: list[str] = []

    def sample(n: int, pool: Executor | None) -> pd.DataFrame:
        first = not latest
        have = 0 if first else len(latest["r"].replications) // len(scenarios)
        _simulate_into(collected, scenarios, seeds, range(have, n), pool, None)
        if progress:
            progress(n, plan.max_reps)
        latest["r"] = _assemble(scenario, scenarios, collected, n, seed, workers, keep_charts, streams, started)
        reps = latest["r"].replications
        names = latest["r"].metrics if metrics is None else [m for m in metrics if m in latest["r"].metrics]
        if not names:
            return pd.DataFrame(index=range(n))
        wide = reps.pivot(index="replication", columns="variant", values=names)
        wide.columns = [f"{v}\t{m}" for m, v in wide.columns]
        if first:  # a (variant, metric) with fewer than two values cannot be judged: left out
            chosen.extend(c for c in wide.columns if wide[c].notna().sum() >= 2)
        return wide[chosen]

    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcome = sequential_precision(lambda n: sample(n, pool), plan)
    else:
        outcome = sequential_precision(lambda n: sample(n, None), plan)
    table = outcome.table
    keys = table["metric"].str.split("\t", n=1, expand=True).reindex(columns=[0, 1])
    table = table.assign(variant=keys[0], metric=keys[1])
    results = latest["r"]
    results.precision = _with_variant(table)
    results.wall_seconds = time.perf_counter() - started
    return results

