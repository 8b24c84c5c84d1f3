"""One task of a run: replications simulated and reduced where they ran.

A worker simulates a range of replications of one scenario and sends back
small tables: each replication's metrics, its days and its coder-days, and
the per-chart tables (charts, breaks and billing questions) only when they
were asked for. The parent never holds every chart, so memory stays flat in
the number of replications and more workers mean more speed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from sim.model.department import Department
from sim.runs import chart_files
from sim.runs.chart_files import ROWS
from sim.runs.metrics import counted_from, replication_metrics
from sim.runs.tables import (
    Columns,
    activities_frame,
    charts_frame,
    coder_days_frame,
    days_frame,
    revenue_per_chart,
    turnaround_counts,
)
from sim.scenario.config import Scenario
from sim.stats.quantiles import coder_day_quantiles

CHARTS_PER_CHUNK = 200_000  # a task's raw chart records stay well under a few hundred MB
MAX_REPS_PER_CHUNK = 2_000  # a task's tables cost a fixed ~30 ms: amortised over many replications, memory still small


@dataclass
class Chunk:
    """What one task sends back: per-replication tables of one variant, in replication order."""

    variant: str
    reps: range
    replications: pd.DataFrame  # metrics, one row per replication
    days: pd.DataFrame
    coder_days: pd.DataFrame | None  # None when rendered into files instead
    charts: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    files: dict[str, tuple[list[str], bytes]] | None = None  # table → (columns, rows rendered by sim.runs.chart_files)
    warmup: int = 0  # the cut the metrics were computed with
    quantiles: pd.DataFrame | None = None  # each replication's coder-day percentiles (sim.stats.quantiles.coder_day_quantiles)
    turnaround: pd.DataFrame | None = None  # charts by turnaround bin, these replications together (tables)
    outlook: pd.DataFrame | None = None  # with a starting state: each replication's day-by-day path (sim.runs.outlook)
    rows: dict[str, tuple[list[str], bytes]] | None = None  # replications, days as CSV rows (chart_files.ROWS)


def reps_per_chunk(scenario: Scenario, reps: int, tasks_wanted: int) -> int:
    """Replications per task: enough tasks for every worker, each small enough in memory."""
    charts = max(1.0, sum(scenario.expected_charts().values()))
    by_memory = max(1, int(CHARTS_PER_CHUNK // charts))
    by_spread = max(1, -(-reps // max(1, tasks_wanted)))
    return max(1, min(MAX_REPS_PER_CHUNK, by_memory, by_spread))


def _simulate(scenario: Scenario, seed: int, reps: range) -> tuple[Department, Columns]:
    department = Department(scenario)
    cols = Columns(list(scenario.chart_types), department.errors if scenario.accuracy is not None else None,
                   audits=scenario.audits is not None, outsourcing=scenario.outsourcing is not None)
    for records in department.replications(seed, reps):
        cols.add(records)
    return department, cols


@contextmanager
def _no_collector() -> Iterator[None]:
    """The cyclic garbage collector off while a task runs (back on after, as it was).

    The model and its tables make many small objects and few cycles (a
    replication's clock and processes, a few dozen objects); collecting them
    as they come would traverse every chart still held, again and again.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def empty_tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The tables a task streams to files (charts, activities, coder_days), with no rows: their columns and types.

    Built by the same functions as a task's tables, from no records, so they
    cannot drift apart; the scenario's sections decide the columns.
    """
    opening = None
    if scenario.state is not None:
        from sim.model.opening import Opening
        from sim.scenario.calendar import Calendar

        opening = Opening(scenario, Calendar(scenario.days, scenario.start_weekday))
    cols = Columns(list(scenario.chart_types), [] if scenario.accuracy is not None else None,
                   audits=scenario.audits is not None, outsourcing=scenario.outsourcing is not None)
    charts = charts_frame(cols, billable=scenario.revenue is not None, opening=opening, full=True)
    coder_days = coder_days_frame(cols, charts, [], [], absence=scenario.absence is not None)
    return {"charts": charts, "activities": activities_frame(cols), "coder_days": coder_days}


def file_layout(scenarios: list[Scenario], render: dict[str, str] | None) -> dict[str, pd.DataFrame] | None:
    """The columns every task writes to each streamed table, where the variants' own columns differ.

    A variant may turn on a section the base lacks (absence, accuracy, a
    vendor…), which adds columns to its tables; streamed task by task under
    one header, every task's rows must then carry the union of the columns
    (in order of first appearance, as ``pandas.concat`` joins frames, and
    ``coder_days``' ``warmup`` last, as in :class:`Results`), those a variant
    lacks left empty (see :func:`sim.runs.chart_files.conform`). None, and
    no work in the tasks, where every variant has the same columns.
    """
    tables = [t for t, fmt in (render or {}).items() if fmt != ROWS]
    if not tables or len(scenarios) < 2:
        return None
    by_sections = {(tuple(s.chart_types), s.accuracy is None, s.audits is None, s.outsourcing is None,
                    s.revenue is None, s.absence is None, s.state is None): s for s in scenarios}  # decide the columns
    if len(by_sections) < 2:
        return None
    empties = [empty_tables(s) for s in by_sections.values()]
    out = {}
    for table in tables:
        types: dict[str, object] = {}
        for frames in empties:
            for name, dtype in frames[table].dtypes.items():
                types.setdefault(name, dtype)
        if any(list(frames[table].columns) != list(types) for frames in empties):
            if table == "coder_days":  # each task marks its warm-up days after the table is made
                types["warmup"] = bool
            out[table] = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in types.items()})
    return out or None


def simulate_chunk(
    variant: str, scenario: Scenario, seed: int, reps: range, warmup: int, keep_charts: bool,
    render: dict[str, str] | None = None, layout: dict[str, pd.DataFrame] | None = None,
) -> Chunk:
    """Simulate replications ``reps`` and reduce them to their tables and metrics.

    ``keep_charts`` returns the per-chart tables as frames. ``render`` maps
    tables (``charts``, ``activities``, ``coder_days``) to a format (``csv``,
    ``parquet``): those come back as file contents (see sim.runs.chart_files), and
    a rendered ``coder_days`` is not sent as a frame too. ``replications`` and
    ``days`` mapped to ``rows`` (chart_files.ROWS) come back as CSV rows as
    well as frames: the parent writes them in table order without rendering
    them itself, the serial part of a run on many workers. ``layout``
    (:func:`file_layout`) gives the columns a rendered table must have when
    variants differ in theirs.
    """
    with _no_collector():
        return _reduce(variant, scenario, seed, reps, warmup, keep_charts, render, layout or {})


def _reduce(
    variant: str, scenario: Scenario, seed: int, reps: range, warmup: int, keep_charts: bool,
    render: dict[str, str] | None, layout: dict[str, pd.DataFrame],
) -> Chunk:
    department, cols = _simulate(scenario, seed, reps)
    render = render or {}
    kinds = list(scenario.chart_types)
    full = keep_charts or "charts" in render  # else the charts table only feeds the metrics and daily tables
    charts = charts_frame(cols, billable=scenario.revenue is not None, opening=department.opening, full=full)
    coder_days = coder_days_frame(
        cols, charts, [c.team for c in department.coders], [c.level for c in department.coders],
        absence=scenario.absence is not None,
    )
    days = days_frame(charts, kinds, list(reps), scenario.days, revenue_per_chart(scenario))
    salaries = [c.salary for c in department.coders]
    metrics = replication_metrics(scenario, charts, coder_days, days, warmup, salaries)
    activities = activities_frame(cols) if keep_charts or "activities" in render else None
    outlook = None
    if department.opening is not None:
        from sim.runs.outlook import daily_outlook

        outlook = daily_outlook(charts, kinds, list(reps), scenario.days, department.opening.as_of,
                                revenue_per_chart(scenario))
    files, rows = {}, {}
    for table, fmt in render.items():  # a table is made ready to render only when it is rendered
        frame = (coder_days.assign(warmup=coder_days["day"] < warmup) if table == "coder_days"
                 else days.assign(warmup=days["day"] < warmup) if table == "days"
                 else {"charts": charts, "activities": activities, "replications": metrics}[table])
        if table in layout:
            frame = chart_files.conform(frame, layout[table])
        rendered = (["variant", *frame.columns], chart_files.render(frame, variant, "csv" if fmt == ROWS else fmt))
        (rows if fmt == ROWS else files)[table] = rendered
    return Chunk(
        variant, reps, metrics, days,
        None if "coder_days" in render else coder_days,
        charts if keep_charts else None,
        activities if keep_charts else None,
        files or None,
        warmup,
        coder_day_quantiles(coder_days, warmup=warmup),
        turnaround_counts(charts, counted_from(scenario, warmup)),
        outlook,
        rows or None,
    )


def backlog_by_day(scenario: Scenario, seed: int, reps: range) -> pd.DataFrame:
    """The days table of replications ``reps`` only (for choosing the warm-up)."""
    with _no_collector():
        _, cols = _simulate(scenario, seed, reps)
        charts = charts_frame(cols, billable=scenario.revenue is not None, full=False)
    return days_frame(charts, list(scenario.chart_types), list(reps), scenario.days, revenue_per_chart(scenario))
