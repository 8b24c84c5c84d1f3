"""``chartsim fit LOG --out SCENARIO``: the command, a thin shell over sim.fit.

Registered in sim/cli/app.py as ``app.command("fit")(fit_cmd)``. A log that
cannot be fitted is refused with one line and exit status 2, like every
other bad input to chartsim.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.shell import Workers
from sim.fit import MIN_CHARTS

# How the log is read: the same options, with the same help, for fit and hindcast.
Columns = Annotated[str | None, typer.Option(
    "--columns", help="map the log's column names, e.g. chart_id=Account,coder=User,started_at=Start")]
Timezone = Annotated[str | None, typer.Option(
    "--timezone", help="zone to convert timestamps with a zone to (e.g. Europe/Berlin); default: their most "
                       "common offset. Timestamps without a zone are read as local time")]
Dayfirst = Annotated[bool, typer.Option(
    "--dayfirst", help="read numeric dates day first: 03/02/2026 is 3 February (they are refused without this "
                       "or --date-format)")]
DateFormat = Annotated[str | None, typer.Option(
    "--date-format", help="strftime format of every timestamp, e.g. '%m/%d/%Y %H:%M'")]
MinCharts = Annotated[int, typer.Option("--min-charts", min=2, help="fewest charts of a type to fit its coding time")]


def fit_cmd(
    log: Annotated[Path, typer.Argument(help="coding productivity log: CSV or Parquet, one row per coding session "
                                             "(chart_id, chart_type, coder, started_at, ended_at; optional "
                                             "discharged_at, query_sent_at, query_answered_at, coder_level)")],
    out: Annotated[Path, typer.Option("--out", help="scenario YAML to write (refused if it exists, unless --force)")],
    report: Annotated[Path | None, typer.Option("--report", help="also write an HTML report: candidate fits, QQ "
                                                                 "plots, back-test")] = None,
    columns: Columns = None,
    timezone: Timezone = None,
    dayfirst: Dayfirst = False,
    date_format: DateFormat = None,
    reps: Annotated[int, typer.Option("--reps", min=0, max=1000, help="back-test replications (0: no back-test)")] = 20,
    seed: Annotated[int, typer.Option("--seed", min=0, help="back-test seed")] = 0,
    workers: Workers = "auto",
    min_charts: MinCharts = MIN_CHARTS,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out and --report")] = False,
) -> None:
    """Fit a scenario to a department's coding productivity log, and back-test it."""
    import yaml

    from sim.cli.shell import charts_per_replication, console, fail, workers_count, workers_for
    from sim.fit.backtest import backtest
    from sim.fit.department import fit_department
    from sim.fit.log import DateForm, LogError, parse_columns, read_log
    from sim.fit.write import scenario_text
    from sim.scenario.config import parse_scenario
    from sim.scenario.errors import ScenarioError

    workers_count(workers)  # a bad --workers is refused before anything is read or written
    for path in (out, report):
        if path is not None and path.exists() and not force:
            fail(f"{path}: exists; choose another path or add --force")
    try:
        session_log = read_log(log, parse_columns(columns), timezone, min_charts, DateForm(dayfirst, date_format))
        fit = fit_department(session_log)
    except LogError as exc:
        fail(str(exc))
    text = scenario_text(fit)
    try:
        scenario = parse_scenario(yaml.safe_load(text), str(out))
    except ScenarioError as exc:  # a fitted value outside the schema's bounds: say which, write nothing
        fail(f"{log}: the fitted scenario is not valid: {exc}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"{out}: fitted from {len(session_log.sessions)} sessions, {len(fit.charts)} charts, "
                  f"{session_log.date_range} ({session_log.zone}); {session_log.long_sessions} sessions over 8 h "
                  "left out", highlight=False)
    for lf in fit.levels:
        if lf.level != fit.speed_fit.reference:
            console.print(f"Speeds: {lf.pace.phrase()}", highlight=False)
    for v in fit.volumes.values():
        if v.k is not None:
            console.print(f"{v.kind} daily volume: {v.verdict}", highlight=False)
    result = None
    if reps:
        result = backtest(fit, scenario, reps, seed, workers_for(workers, lambda: charts_per_replication(scenario) * reps))
        console.print(_table(result))
    if report is not None:
        from sim.fit.report import write_report

        report.parent.mkdir(parents=True, exist_ok=True)
        write_report(report, fit, out, result)
        console.print(f"{report}: report written", highlight=False)


def _table(result):
    from rich.table import Table

    table = Table(title=f"Back-test: the log against {result.reps} replications (95 % CI)", title_justify="left")
    for name, justify in (("metric", "left"), ("log", "right"), ("model", "right"), ("", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]

    def cell(mean: float, low: float, high: float) -> str:
        if math.isnan(mean):
            return "not in the log"
        return f"{mean:.2f} ({low:.2f}–{high:.2f})" if not math.isnan(low) else f"{mean:.2f}"

    labels = {"charts_per_coder_day": "charts per coder-day", "turnaround_mean_days": "turnaround, days",
              "backlog_mean": "backlog, charts"}
    for row in result.table.itertuples():
        mark = "" if row.overlap is None else ("overlap" if row.overlap else "differ")
        table.add_row(labels.get(row.metric, row.metric), cell(row.observed, row.observed_low, row.observed_high),
                      cell(row.simulated, row.simulated_low, row.simulated_high), mark)
    return table
