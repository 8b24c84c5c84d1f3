"""Reports from a run folder: ``report.html`` (STRESS-DES sections, plots inline) and ``results.xlsx``.

Reporting reads what a run wrote and never runs the simulation again::

    from sim.report import build_report
    build_report("runs/baseline-20250101-120000")
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.report.excel import write_workbook
from sim.report.figures import Plot
from sim.report.gantt import coder_day
from sim.report.html import render_html
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

__all__ = ["Plot", "RunFolder", "RunFolderError", "build_report", "load_run", "plots_for", "write_workbook"]


def staffing_target(meta: dict | None) -> dict | None:
    """{'metric', 'op', 'value'} from staffing.json's target text such as 'turnaround_p95_days <= 3'."""
    found = re.fullmatch(r"\s*(\w+)\s*(<=|>=|<|>|==)\s*([-+0-9.eE]+)\s*", str((meta or {}).get("target", "")))
    if not found:
        return None
    return {"metric": found[1], "op": found[2], "value": float(found[3])}


def plots_for(run: RunFolder) -> list[Plot]:
    """Every figure the report shows, in reading order; those that do not apply carry a note."""
    warmup = int(run.manifest.get("warmup_days") or 0)
    target = run.scenario.get("target_days")
    plots = []
    if run.staffing is not None:
        plots.append(staffing_curve(run.staffing, staffing_target(run.staffing_meta), run.staffing_meta))
        if not run.files and run.days is None:
            note = "A staffing search keeps only its curve; run one team size with chartsim run for the other figures."
            return [*plots, Plot(key="run_figures", title="Figures of a single run", note=note)]
    plots += [
        charts_per_day(run.coder_days, run.summary),
        forest(run.comparison),
        backlog_by_day(run.days, warmup),
        *([dnfb_by_day(run.days, warmup)] if run.days is not None and "dnfb_dollars" in run.days else []),
        _turnaround(run, warmup, float(target) if isinstance(target, (int, float)) else None),
        time_use(run.coder_days),
        _first_coder_day(run),
    ]
    from sim.report.fan import fan_charts

    return plots + fan_charts(run.path, run.scenario)  # a run from a starting state: the weeks ahead


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


def build_report(folder: str | Path, excel: bool = True) -> Path:
    """Write ``report.html`` (and ``results.xlsx``) into the run folder; returns the HTML path."""
    run = load_run(folder)
    html = run.path / "report.html"
    page = render_html(run, plots_for(run))
    # Both files are made under temporary names and renamed only when both
    # exist, so a failure leaves the folder as it was, not half-reported.
    made = [(run.path / ".report.html.tmp", html)]
    made[0][0].write_text(page, encoding="utf-8")
    try:
        if excel:
            made.append((run.path / ".results.xlsx.tmp", run.path / "results.xlsx"))
            write_workbook(run, made[1][0])
    except BaseException:
        for tmp, _ in made:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in made:
        tmp.replace(final)
    return html
