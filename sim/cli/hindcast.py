"""``chartsim hindcast LOG --at WHEN``: does the model forecast this department? A thin shell over sim.fit.hindcast.

Registered in sim/cli.py as ``app.command("hindcast")(hindcast_cmd)``. The log
is fitted as ``chartsim fit`` fits it, the fitted model is started from the
log's own state at ``--at`` and projected ``--days`` ahead, and each of the
log's days is set beside the projection's bands. ``--state-out`` writes that
state as an open-charts CSV, the file ``state.open_charts`` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def hindcast_cmd(
    log: Annotated[Path, typer.Argument(help="coding productivity log (as for chartsim fit)")],
    at: Annotated[str, typer.Option("--at", metavar="'YYYY-MM-DD HH:MM'", help="the past moment to start from")],
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="days to project and compare")] = 14,
    reps: Annotated[int, typer.Option("--reps", min=2, max=10_000, help="replications")] = 50,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    columns: Annotated[str | None, typer.Option("--columns", help="map the log's column names (as for fit)")] = None,
    state_out: Annotated[Path | None, typer.Option(
        "--state-out", help="also write the open charts at --at as a CSV (refused if it exists)")] = None,
) -> None:
    """Start the model fitted to a log from a past moment of it, and put the log's days beside the projection."""
    import pandas as pd
    import yaml

    from sim.cli.shell import console, fail
    from sim.fit.department import fit_department
    from sim.fit.hindcast import hindcast, share_text, state_at
    from sim.fit.log import LogError, parse_columns, read_log
    from sim.fit.write import scenario_text
    from sim.scenario.config import parse_scenario
    from sim.scenario.errors import ScenarioError
    from sim.scenario.state import parse_stamp

    try:
        when = pd.Timestamp(parse_stamp(at))
    except ValueError as exc:
        fail(f"--at: {exc}")
    if state_out is not None and state_out.exists():
        fail(f"{state_out}: exists; choose another path")
    try:
        fit = fit_department(read_log(log, parse_columns(columns)))
    except LogError as exc:
        fail(str(exc))
    if not fit.window.day0 <= when <= fit.window.day0 + pd.Timedelta(days=fit.window.n_days - days):
        fail(f"--at: {at} leaves fewer than --days {days} days of the log after it "
             f"({fit.log.date_range}); choose an earlier moment or fewer days")
    try:
        scenario = parse_scenario(yaml.safe_load(scenario_text(fit)), str(log))
        result = hindcast(fit, scenario, when, days, reps, seed)
    except (ScenarioError, ValueError) as exc:
        fail(f"{log}: cannot start the fitted model at {at}: {' '.join(str(exc).split())}")
    if state_out is not None:
        pd.DataFrame(state_at(fit, when)).to_csv(state_out, index=False)
        console.print(f"{state_out}: the {len(state_at(fit, when))} charts open at {at}", highlight=False)
    table = result.table.assign(inside=lambda t: t["inside_90"].map({True: "yes", False: "NO"}))
    for metric, part in table.groupby("metric"):
        console.print(f"[bold]{metric}[/]: day, log, projection median [90 % band], inside", highlight=False)
        for row in part.itertuples():
            console.print(f"  {row.date}  {row.actual:>6.0f}  {row.p50:>7.1f} [{row.p5:.0f}–{row.p95:.0f}]  {row.inside}",
                          highlight=False)
    console.print(share_text(result) + " — about 90 % and 50 % if the model forecasts this department well",
                  highlight=False, soft_wrap=True)
