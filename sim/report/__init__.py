"""Reports from a run folder: ``report.html`` (STRESS-DES sections, plots inline) and ``results.xlsx``.

Reporting reads what a run wrote and never runs the simulation again::

    from sim.report import build_report
    build_report("runs/baseline-20250101-120000")
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sim.report.aside import Step, draw_steps
from sim.report.excel import write_workbook
from sim.report.figures import Plot
from sim.report.gantt import coder_day
from sim.report.html import page_for
from sim.report.load import RunFolder, RunFolderError, load_run
from sim.report.plots import (
    backlog_by_day,
    charts_per_day,
    dnfb_by_day,
    forest,
    staffing_curve,
    time_use,
    turnaround,
    turnaround_counts,
)

TURNAROUND_COLUMNS = ["variant", "arrived_at", "coded_at"]  # all the turnaround figure reads of charts.csv

__all__ = ["Plot", "RunFolder", "RunFolderError", "build_report", "figure_steps", "load_run", "plots_for",
           "write_workbook"]


def staffing_target(meta: dict | None) -> dict | None:
    """{'metric', 'op', 'value'} from staffing.json's target text such as 'turnaround_p95_days <= 3'."""
    found = re.fullmatch(r"\s*(\w+)\s*(<=|>=|<|>|==)\s*([-+0-9.eE]+)\s*", str((meta or {}).get("target", "")))
    if not found:
        return None
    return {"metric": found[1], "op": found[2], "value": float(found[3])}


def figure_steps(run: RunFolder) -> list[Step]:
    """Every figure the report shows, in reading order, as a step that draws it (a fan chart step: several).

    The steps do not depend on each other: any process may draw any of them
    (see :mod:`sim.report.aside`). The tables they share (``coder_days``) are
    read here, once. Figures that do not apply carry a note.
    """
    warmup = int(run.manifest.get("warmup_days") or 0)
    target = run.scenario.get("target_days")
    target_days = float(target) if isinstance(target, (int, float)) else None
    steps = []
    if run.staffing is not None:
        steps.append(_one(staffing_curve, run.staffing, staffing_target(run.staffing_meta), run.staffing_meta))
        if not run.files and run.days is None:
            note = "A staffing search keeps only its curve; run one team size with chartsim run for the other figures."
            return [*steps, _one(Plot, key="run_figures", title="Figures of a single run", note=note)]
    steps += [
        _one(charts_per_day, run.coder_days, run.summary),
        _one(forest, run.comparison),
        _one(backlog_by_day, run.days, warmup),
        *([_one(dnfb_by_day, run.days, warmup)] if run.days is not None and "dnfb_dollars" in run.days else []),
        _one(_turnaround, run, warmup, target_days),
        _one(time_use, run.coder_days),
        _one(_first_coder_day, run),
        partial(_fan_charts, run),  # a run from a starting state: the weeks ahead
    ]
    return steps


def plots_for(run: RunFolder) -> list[Plot]:
    """Every figure the report shows, in reading order; those that do not apply carry a note."""
    return [plot for step in figure_steps(run) for plot in step()]


def _one(draw: Callable[..., Plot], *args: object, **kwargs: object) -> Step:
    """A step drawing one figure."""
    return lambda: [draw(*args, **kwargs)]


def _fan_charts(run: RunFolder) -> list[Plot]:
    from sim.report.fan import fan_charts

    return fan_charts(run.path, run.scenario)


def _turnaround(run: RunFolder, warmup: int, target_days: float | None) -> Plot:
    """From turnaround.csv, the counts the run reduced in its workers; older folders from charts.csv's columns."""
    if run.turnaround is not None:
        return turnaround_counts(run.turnaround, target_days)
    return turnaround(run.columns("charts", TURNAROUND_COLUMNS), warmup, target_days)


def _first_coder_day(run: RunFolder) -> Plot:
    """The coder's day of the base's first replication, from that replication's rows alone."""
    variant, cd = run.variants[0], run.coder_days
    if cd is None or "charts" not in run.files:
        return coder_day(run.charts, run.scenario, cd, variant=variant, activities=run.activities)
    mine = cd.loc[cd["variant"] == variant]
    if mine.empty:
        return coder_day(run.charts, run.scenario, cd, variant=variant, activities=run.activities)
    first = int(mine["replication"].min())
    return coder_day(run.replication("charts", variant, first), run.scenario, mine.loc[mine["replication"] == first],
                     variant=variant, activities=run.replication("activities", variant, first))


def build_report(folder: str | Path, excel: bool = True, processes: int = 1) -> Path:
    """Write ``report.html`` (and ``results.xlsx``) into the run folder; returns the HTML path.

    With ``processes=2`` a forked child starts on the figures while this
    process writes the workbook, then the two take the figures in turn
    (:mod:`sim.report.aside`): the same files, sooner where a second CPU is
    free. A command-line process asks for it; a server with threads of its
    own keeps to one.
    """
    run = load_run(folder)
    # Both files are made under temporary names and renamed only when both
    # exist, so a failure leaves the folder as it was, not half-reported.
    html = run.path / "report.html"
    made = [(run.path / ".report.html.tmp", html)]
    if excel:
        made.append((run.path / ".results.xlsx.tmp", run.path / "results.xlsx"))
    page: Callable[[list[Plot]], str] | None = None

    def meanwhile() -> None:  # while figures are drawn aside: the workbook, and the page around the figures
        nonlocal page
        if excel:
            write_workbook(run, made[1][0])
        page = page_for(run)

    try:
        plots = draw_steps(figure_steps(run), processes, meanwhile=meanwhile)
        made[0][0].write_text(page(plots), encoding="utf-8")
    except BaseException:
        for tmp, _ in made:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in made:
        tmp.replace(final)
    return html
