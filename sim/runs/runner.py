"""Replications, variants and executors → results.

``run`` simulates every (variant, replication) pair in tasks handed to an
executor (this process, worker processes or a Dask cluster; see
sim.runs.executor). Each task reduces its replications where they ran
(sim.runs.tasks): the parent receives per-replication metrics, days and
coder-days, and per-chart tables only when kept or streamed to a run folder.
Replication r of every variant uses the same random streams (common random
numbers), and tasks are taken back in order, so the output is identical
whatever the number of workers or the size of the tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pandas as pd
import pyarrow as pa

from sim.model.streams import stream_key
from sim.runs.executor import Submitter, executing, in_order, processes_of, workers_of
from sim.runs.tables import turnaround_table
from sim.runs.tasks import Chunk, backlog_by_day, file_layout, reps_per_chunk, simulate_chunk
from sim.scenario.config import BASE, Scenario
from sim.stats.precision import PrecisionPlan, sequential_precision
from sim.stats.summary import compare, mser5, summarise

PILOT_REPS = 20  # replications of the base that choose an automatic warm-up (MSER-5)
Streams = Literal["common", "independent"]


class Sink(Protocol):
    """Receives each task's tables in order; ``render`` names the tables tasks render as files, and their format."""

    render: dict[str, str] | None

    def __call__(self, chunk: Chunk) -> None: ...


@dataclass
class Results:
    """Everything a run produced, as pandas tables."""

    scenario: Scenario
    seed: int
    reps: int
    workers: int
    warmup: int
    coder_days: pd.DataFrame | None  # None when written to coder_days.csv task by task
    days: pd.DataFrame
    replications: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    charts: pd.DataFrame | None
    wall_seconds: float
    variants: dict[str, Scenario] = field(default_factory=dict)
    streams: Streams = "common"
    precision: pd.DataFrame | None = None  # set by run_to_precision
    coder_day_quantiles: pd.DataFrame | None = None  # each replication's coder-day percentiles (percentiles.csv)
    activities: pd.DataFrame | None = None  # breaks and billing questions, kept with the charts
    outlook: pd.DataFrame | None = None  # with a starting state: each replication's day-by-day path (sim.runs.outlook)
    turnaround: pd.DataFrame | None = None  # coded charts by turnaround bin per variant (turnaround.csv)
    # Tables whose CSV rows the tasks rendered: name → (the frame they render, its rows); see Experiment.rendered
    rendered: dict[str, tuple[pd.DataFrame, bytes]] = field(default_factory=dict, repr=False)

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.replications.columns if c not in ("variant", "replication")]


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


class Experiment:
    """A scenario and its variants, the replications simulated so far, and the warm-up they share."""

    def __init__(self, scenario: Scenario, seed: int, streams: Streams = "common") -> None:
        self.scenario = scenario
        self.seed = seed
        self.streams = streams
        self.scenarios = {BASE: scenario, **scenario.expanded()}
        self.seeds = {name: scenario_seed(seed, name, streams) for name in self.scenarios}
        self.chunks: dict[str, list[Chunk]] = {name: [] for name in self.scenarios}
        self._warmup: int | None = None
        self.done = dict.fromkeys(self.scenarios, 0)  # replications 0 … done−1 of each variant are in

    @property
    def simulated(self) -> int:
        """Replications simulated for every variant."""
        return min(self.done.values())

    def restore(self, chunks: list[Chunk]) -> None:
        """Take back tasks finished by an interrupted run, in their order, with the warm-up they used."""
        for chunk in chunks:
            self._warmup = chunk.warmup
            if chunk.reps.start != self.done[chunk.variant]:
                raise ValueError(f"saved replications of {chunk.variant} are not contiguous at {chunk.reps.start}")
            self.chunks[chunk.variant].append(chunk)
            self.done[chunk.variant] = chunk.reps.stop

    def warmup(self, executor: Submitter) -> int:
        """Days left out of statistics: as set, or MSER-5 on the mean daily backlog of a pilot.

        The pilot is the base's first ``PILOT_REPS`` replications, whatever the
        run's size, so the cut depends only on the scenario and the seed: a
        run of 30 replications and one that grows to 30 by ``--precision``
        cut the same days.
        """
        if self._warmup is None:
            if self.scenario.warmup_days != "auto":
                self._warmup = int(self.scenario.warmup_days)
            else:
                base, seed = self.scenarios[BASE], self.seeds[BASE]
                size = reps_per_chunk(base, PILOT_REPS, 2 * workers_of(executor))
                tasks = [(base, seed, range(lo, min(lo + size, PILOT_REPS))) for lo in range(0, PILOT_REPS, size)]
                days = pd.concat(list(in_order(executor, backlog_by_day, tasks)), ignore_index=True)
                self._warmup = mser5(days.groupby("day")["backlog"].mean().to_numpy(dtype=float))
        return self._warmup

    def tasks(
        self, executor: Submitter, reps: int, keep_charts: bool, render: dict[str, str] | None = None, share: int = 1,
        watched: bool = False,
    ) -> list[tuple]:
        """``simulate_chunk`` arguments for every replication below ``reps`` not simulated yet, variant by variant.

        ``share``: how many experiments split the executor (sizes the tasks); ``watched``: progress is shown.
        """
        warmup = self.warmup(executor)
        layout = file_layout(list(self.scenarios.values()), render)
        # Tasks per variant: a few per worker to balance the load; in one process, as few as memory
        # allows (each task's tables cost a fixed ~40 ms), or a few when someone watches the progress.
        workers = workers_of(executor)
        wanted = -(-4 * workers // (len(self.scenarios) * share)) if workers > 1 or watched else 1
        tasks = []
        for name, scenario in self.scenarios.items():
            todo = range(self.done[name], reps)
            size = reps_per_chunk(scenario, len(todo), wanted)
            for lo in range(todo.start, todo.stop, size):
                tasks.append((name, scenario, self.seeds[name], range(lo, min(lo + size, reps)), warmup, keep_charts,
                              render, layout))
        return tasks

    def take(self, chunk: Chunk) -> None:
        """A finished task's tables, in task order."""
        chunk.files = None
        self.chunks[chunk.variant].append(chunk)
        self.done[chunk.variant] = chunk.reps.stop

    def simulate(
        self, executor: Submitter, reps: int, keep_charts: bool, sink: Sink | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Simulate every variant up to ``reps`` replications (those not simulated yet).

        Tasks go variant by variant in replication order, and ``sink`` sees
        them in that order: a run interrupted and resumed hands it the same
        sequence as one that never stopped.
        """
        tasks = self.tasks(executor, reps, keep_charts, sink.render if sink is not None else None,
                           watched=progress is not None)
        total, done = sum(len(t[3]) for t in tasks), 0
        for chunk in in_order(executor, simulate_chunk, tasks, window=2 * workers_of(executor) + 2):
            if sink is not None:
                sink(chunk)
            self.take(chunk)
            done += len(chunk.reps)
            if progress:
                progress(done, total)


    def results(self, workers: int, keep_charts: bool, started: float) -> Results:
        """Tables, summary and comparison of the replications simulated so far."""
        warmup = self._warmup if self._warmup is not None else 0

        def stacked(table: str, mark_warmup: bool = False) -> pd.DataFrame | None:
            """One variant-marked table from every task's part; None where tasks wrote it to files instead."""
            parts = [(name, getattr(c, table)) for name, chunks in self.chunks.items() for c in chunks]
            if any(part is None for _, part in parts):
                return None
            # The parts joined once, then the variant column put first (each part's name repeated as one Arrow
            # string array, the column's own type): no copy of a part to mark its variant, no string per row.
            frame = pd.concat([part for _, part in parts], ignore_index=True)
            names = pa.chunked_array([pa.repeat(pa.scalar(name), len(part)) for name, part in parts])
            frame.insert(0, "variant", pd.array(names, dtype="str"))
            if mark_warmup:
                frame["warmup"] = frame["day"] < warmup
            return frame

        replications, days = stacked("replications"), stacked("days", True)
        counts = [(name, getattr(c, "turnaround", None)) for name, chunks in self.chunks.items() for c in chunks]
        metric_names = [c for c in replications.columns if c not in ("variant", "replication")]
        summary = _with_variant(pd.concat(
            [summarise(replications.loc[replications["variant"] == name], metric_names).assign(variant=name)
             for name in self.scenarios],
            ignore_index=True,
        ))
        comparison = compare(replications, metric_names, base=BASE, paired=self.streams == "common")
        return Results(
            scenario=self.scenario,
            seed=self.seed,
            reps=self.simulated,
            workers=workers,
            warmup=warmup,
            coder_days=stacked("coder_days", True),
            days=days,
            replications=replications,
            summary=summary,
            comparison=comparison,
            charts=stacked("charts") if keep_charts else None,
            activities=stacked("activities") if keep_charts else None,
            coder_day_quantiles=stacked("quantiles"),
            wall_seconds=time.perf_counter() - started,
            variants={k: v for k, v in self.scenarios.items() if k != BASE},
            streams=self.streams,
            outlook=stacked("outlook") if self.scenario.state is not None else None,
            turnaround=turnaround_table(counts) if counts and all(p is not None for _, p in counts) else None,
            rendered=self.rendered({"replications": replications, "days": days}, warmup),
        )

    def rendered(self, frames: dict[str, pd.DataFrame], warmup: int) -> dict[str, tuple[pd.DataFrame, bytes]]:
        """Each table whose rows every task rendered (chart_files.ROWS), with the rows joined in table order.

        A table is left out (and written from its frame) where a task did not
        render it, or rendered other columns (a variant reporting other
        metrics) or another warm-up than the table's.
        """
        out = {}
        chunks = [c for cs in self.chunks.values() for c in cs]
        for table, frame in frames.items():
            parts = [(c.rows or {}).get(table) for c in chunks]
            if chunks and all(p is not None and p[0] == list(frame.columns) and c.warmup == warmup
                              for c, p in zip(chunks, parts)):
                out[table] = (frame, b"".join(p[1] for p in parts))
        return out


def simulate_together(experiments: list[Experiment], executor: Submitter, reps: int) -> None:
    """Bring several experiments to ``reps`` replications at once: their tasks share the executor.

    Each experiment gets exactly the tables it would get alone (same tasks'
    numbers, same warm-up); only the waiting for stragglers is shared.
    """
    tasks = [(e, t) for e in experiments for t in e.tasks(executor, reps, False, share=len(experiments))]
    chunks = in_order(executor, simulate_chunk, [t for _, t in tasks], window=2 * workers_of(executor) + 2)
    for (experiment, _), chunk in zip(tasks, chunks):
        experiment.take(chunk)


def run(
    scenario: Scenario,
    reps: int = 100,
    seed: int = 0,
    workers: int = 1,
    keep_charts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    streams: Streams = "common",
    executor: Submitter | None = None,
    sink: Sink | None = None,
    resume: list[Chunk] | None = None,
) -> Results:
    """Simulate ``reps`` replications of the scenario and of each of its variants.

    ``executor`` (anything with ``submit``, e.g. a ``dask.distributed.Client``)
    replaces the local pool of ``workers`` processes. ``sink`` receives each
    task's tables in order as they come (the run folder streams the per-chart
    tables to disk this way); ``keep_charts`` keeps them in the results too.
    ``resume`` — the finished tasks of an interrupted run — are taken as
    done, and only the rest is simulated.
    """
    if reps < 1:
        raise ValueError("reps must be at least 1")
    started = time.perf_counter()
    experiment = Experiment(scenario, seed, streams)
    if resume is not None:
        experiment.restore(resume)
    with executing(workers, executor) as ex:
        experiment.simulate(ex, reps, keep_charts, sink, progress)
        n = processes_of(ex)
    return experiment.results(n, keep_charts, started)


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
    executor: Submitter | None = None,
    sink: Sink | None = None,
    resume: list[Chunk] | None = None,
) -> Results:
    """Add replications in batches until the key metrics are precise enough (see sim.stats.precision).

    The first check is at ``plan.min_reps`` replications, then every
    ``plan.batch`` up to the budget ``plan.max_reps``. Replication r is the
    same whenever it is run, so each batch simulates only the new
    replications and the final results equal ``run`` with the number of
    replications reached. ``metrics`` (names from ``sim.runs.registry``; an
    unknown one is a ValueError) defaults to every metric the first batch
    observes; a metric with fewer than two values at the first check cannot
    be judged and is left out. Each (variant, metric) must converge.
    ``Results.precision`` has one row per variant and metric checked, with
    the rule that set its limit (``criterion``: relative | absolute).
    ``resume``: the finished tasks of an interrupted run; the checks are
    replayed on them, so the run stops where an uninterrupted one would.
    """
    if metrics is not None:
        from sim.runs.registry import run_metrics

        known = [m.name for m in run_metrics(scenario)]
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ValueError(f"unknown metric {', '.join(unknown)}; known: {', '.join(known)}")
        metrics = list(dict.fromkeys(metrics))
    started = time.perf_counter()
    experiment = Experiment(scenario, seed, streams)
    if resume is not None:
        experiment.restore(resume)
    latest: dict[str, Results] = {}
    chosen: list[str] = []

    def sample(n: int, ex: Submitter) -> pd.DataFrame:
        first = not latest
        experiment.simulate(ex, n, keep_charts, sink)
        if progress:
            progress(n, plan.max_reps)
        latest["r"] = experiment.results(processes_of(ex), keep_charts, started)
        reps = latest["r"].replications
        reps = reps.loc[reps["replication"] < n]  # a resumed run may hold some of the next batch already
        names = latest["r"].metrics if metrics is None else [m for m in metrics if m in latest["r"].metrics]
        if not names:
            return pd.DataFrame(index=range(n))
        wide = reps.pivot(index="replication", columns="variant", values=names)
        wide.columns = [f"{v}\t{m}" for m, v in wide.columns]
        if first:  # a (variant, metric) with fewer than two values cannot be judged: left out
            chosen.extend(c for c in wide.columns if wide[c].notna().sum() >= 2)
        return wide[chosen]

    with executing(workers, executor) as ex:
        outcome = sequential_precision(lambda n: sample(n, ex), plan)
    table = outcome.table
    keys = table["metric"].str.split("\t", n=1, expand=True).reindex(columns=[0, 1])
    table = table.assign(variant=keys[0], metric=keys[1])
    results = latest["r"]
    results.precision = _with_variant(table)
    results.wall_seconds = time.perf_counter() - started
    return results
