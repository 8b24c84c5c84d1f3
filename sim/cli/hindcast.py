"""``chartsim hindcast LOG --at WHEN``: does the model forecast this department? A thin shell over sim.fit.hindcast.

Registered in sim/cli.py as ``app.command("hindcast")(hindcast_cmd)``. The log
is fitted as ``chartsim fit`` fits it, the fitted model is started from the
log's own state at ``--at`` and projected ``--days`` ahead, and each of the
log's days is set beside the projection's bands. ``--state-out`` writes that
state as an open-charts CSV, the file ``state.open_charts`` reads.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.fit import Columns, DateFormat, Dayfirst, MinCharts, Timezone
from sim.fit import MIN_CHARTS


def hindcast_cmd(
    log: Annotated[Path, typer.Argument(help="coding productivity log (as for chartsim fit)")],
    at: Annotated[str, typer.Option("--at", metavar="'YYYY-MM-DD HH:MM'", help="the past moment to start from")],
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="days to project and compare")] = 14,
    reps: Annotated[int, typer.Option("--reps", min=2, max=10_000, help="replications")] = 50,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    columns: Columns = None,
    timezone: Timezone = None,
    dayfirst: Dayfirst = False,
    date_format: DateFormat = None,
    min_charts: MinCharts = MIN_CHARTS,
    state_out: Annotated[Path | None, typer.Option(
        "--state-out", help="also write the open charts at --at as a CSV (refused if it exists)")] = None,
) -> None:
    """Start the model fitted to a log from a past moment of it, and put the log's days beside the projection."""
    import pandas as pd
    import yaml

    from sim.cli.shell import console, fail
    from sim.fit.department import fit_department
    from sim.fit.hindcast import hindcast, share_text, state_at
    from sim.fit.log import DateForm, LogError, parse_columns, read_log
    from sim.fit.write import scenario_text
    from sim.scenario.config import parse_scenario
    from sim.scenario.errors import ScenarioError
    from sim.scenario.state import parse_stamp

    try:
        when = pd.Timestamp(parse_stamp(at))
    except ValueError as exc:
        fail(f"--at: {exc}")
    if state_out is not None:
        _check_state_out(state_out)
    try:
        session_log = read_log(log, parse_columns(columns), timezone, min_charts, DateForm(dayfirst, date_format))
    except LogError as exc:
        fail(str(exc))
    if not session_log.has("discharged_at"):
        fail(f"{log}: no discharged_at column (or it is blank in every row): a hindcast needs it, to know which "
             "charts were waiting at --at and the log's backlog on each day after")
    fit = fit_department(session_log)
    if when < fit.window.day0:
        fail(f"--at: {at} is before the log's first day, {session_log.first_day} ({session_log.date_range}); "
             "choose a moment in the log")
    if when > fit.window.day0 + pd.Timedelta(days=fit.window.n_days - days):
        fail(f"--at: {at} leaves fewer than --days {days} days of the log after it "
             f"({session_log.date_range}); choose an earlier moment or fewer days")
    try:
        scenario = parse_scenario(yaml.safe_load(scenario_text(fit)), str(log))
        result = hindcast(fit, scenario, when, days, reps, seed)
    except (ScenarioError, ValueError) as exc:
        fail(f"{log}: cannot start the fitted model at {at}: {' '.join(str(exc).split())}")
    if result.table.empty:
        fail(f"{log}: no day from {at} to compare: every replication gave the same backlog and charts coded "
             f"on each of the --days {days} days; choose more days or more --reps")
    if state_out is not None:
        state = state_at(fit, when)
        try:
            with state_out.open("x", encoding="utf-8", newline="") as stream:
                pd.DataFrame(state).to_csv(stream, index=False)
        except OSError as exc:
            fail(f"--state-out: {state_out}: cannot write it ({exc.strerror or exc})")
        console.print(f"{state_out}: the {len(state)} charts open at {at}", highlight=False)
    table = result.table.assign(inside=lambda t: t["inside_90"].map({True: "yes", False: "NO"}))
    for metric, part in table.groupby("metric"):
        console.print(f"[bold]{metric}[/]: day, log, projection median [90 % band], inside", highlight=False)
        for row in part.itertuples():
            console.print(f"  {row.date}  {row.actual:>6.0f}  {row.p50:>7.1f} {_band(row.p5, row.p95)}  {row.inside}",
                          highlight=False)
    console.print(share_text(result) + " — about 90 % and 50 % if the model forecasts this department well",
                  highlight=False, soft_wrap=True)


def _check_state_out(path: Path) -> None:
    """--state-out is checked before the log is read: a new file in an existing folder that may be written."""
    from sim.cli.shell import fail

    folder = path.parent
    if path.exists():
        fail(f"--state-out: {path}: exists; choose another path")
    if not folder.is_dir():
        fail(f"--state-out: {path}: the folder {folder} does not exist; create it first or choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"--state-out: {path}: the folder {folder} is not writable; choose another path")


def _band(low: float, high: float) -> str:
    """The 90 % band to 0.1, rounded inward, so a whole count lies inside it exactly when the table says yes."""
    return f"[{math.ceil(round(low * 10, 6)) / 10:.1f}–{math.floor(round(high * 10, 6)) / 10:.1f}]"
