"""``chartsim plan SCENARIO --target ...``: the command, a thin shell over sim.analysis.plan.

Registered in sim/cli/app.py as ``app.command("plan")(plan_cmd)``. It shares (sim/cli/shell.py)
the run command's folder claiming, Dask cluster and Ctrl-C handling (``--resume``).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from sim.cli.console import markup_safe
from sim.cli.shell import (
    Workers,
    charts_per_replication,
    claimed,
    console,
    dask_client,
    err,
    fail,
    load,
    stopped,
    workers_for,
)


def plan_cmd(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file (its levers: section names the levers)")],
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="repeatable, e.g. 'turnaround_p95_days <= 3' (see chartsim metrics); at least one")] = None,
    confidence: Annotated[float, typer.Option(
        "--confidence", help="each target must hold on its one-sided confidence bound at this level, 0–1")] = 0.9,
    minimize: Annotated[str, typer.Option("--minimize", help="the metric to minimise")] = "total_cost",
    lever: Annotated[list[str] | None, typer.Option(
        "--lever", metavar="PATH=VALUES",
        help="repeatable: a setting and its values, e.g. coders.teams.outpatient.count=1..4, "
             "outsourcing.share.outpatient=[0,0.25,0.5]; replaces the scenario's levers: entry for PATH")] = None,
    reps: Annotated[int, typer.Option("--reps", min=10, max=100_000, help="screening replications per plan (a multiple of 10)")] = 10,
    max_reps: Annotated[int, typer.Option("--max-reps", min=10, max=100_000, help="replication budget per plan")] = 200,
    candidates: Annotated[int, typer.Option(
        "--candidates", min=1, max=50, help="feasible plans taken into the final selection (KN++)")] = 5,
    enumerate_max: Annotated[int, typer.Option(
        "--enumerate", min=1, max=100_000,
        help="grids of at most this many plans are enumerated; larger ones are searched by Optuna")] = 500,
    trials: Annotated[int, typer.Option(
        "--trials", min=1, max=100_000, help="plans Optuna proposes when the grid is not enumerated")] = 60,
    delta: Annotated[float | None, typer.Option(
        "--delta", help="indifference zone of the objective (default 1% of the cheapest candidate's mean)")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 − probability of correct selection")] = 0.05,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed (the same for every plan)")] = 0,
    workers: Workers = "auto",
    out: Annotated[Path | None, typer.Option("--out", help="new folder for plan.json, plans.csv, plan.html")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK", help="run on a Dask cluster: its scheduler's address (replaces --workers)")] = None,
    resume: Annotated[Path | None, typer.Option(
        "--resume", metavar="PARTIAL",
        help="continue the interrupted plan in PARTIAL (OUT.partial) with its own targets, levers and settings; "
             "it decides as a plan never interrupted")] = None,
) -> None:
    """Find the cheapest combination of levers that meets every target with stated confidence.

    Exit status: 0 a plan was found; 1 no plan in the ranges meets the targets
    (the files say which target binds and which lever would help); 2 bad input; 130 interrupted.
    """
    from sim.analysis.plan import find_plan, plan_base
    from sim.analysis.plan_output import sentence, write_plan_files
    from sim.analysis.plan_resume import CHECKPOINT, PlanInterrupted, PlanJournal, load_journal
    from sim.analysis.targets import known_metrics, parse_target
    from sim.report.plan import write_plan_html
    from sim.runs.executor import executing
    from sim.runs.folders import OutputError, claim, reclaim
    from sim.scenario.errors import ScenarioError
    from sim.scenario.levers import LeverError, levers_of

    config = load(scenario)
    n_workers = workers_for(workers, lambda: charts_per_replication(config) * reps)  # each plan screened: at least
    replay = None
    if resume is not None:
        taken = claimed(reclaim, resume)
        try:
            settings, replay = load_journal(resume)
            if settings["scenario"] != config:
                fail(f"--resume: {scenario} is not the scenario of the interrupted plan in {resume} (changed since?)")
            out = Path(settings["out"])
            if out.exists():
                fail(f"--out: {out} already exists; choose a new folder")
        except PlanInterrupted as exc:
            taken.release()
            fail(str(exc))
        except BaseException:
            taken.release()
            raise
        taken.out = out
    else:
        if not target:
            fail("--target: at least one target, e.g. --target 'turnaround_p95_days <= 3'")
        try:
            chosen_levers = levers_of(config.levers, lever or [])
            goals = [parse_target(t, known_metrics(plan_base(config))) for t in target]
        except (LeverError, ScenarioError) as exc:
            fail(str(exc))
        if out is None:
            out = Path("runs") / f"{scenario.stem}-plan-{datetime.now():%Y%m%d-%H%M%S}"
        settings = {"scenario": config, "levers": chosen_levers, "targets": goals, "out": str(out),
                    "options": dict(objective=minimize, confidence=confidence, reps=reps, max_reps=max_reps,
                                    candidates=candidates, delta=delta, alpha=alpha, seed=seed,
                                    enumerate_max=enumerate_max, trials=trials)}
        taken = claimed(claim, out, True)
    partial = taken.folder
    try:
        # The workers are started before the progress bar, whose thread a fork must not copy (executing).
        with taken as folder, dask_client(dask) as cluster, executing(n_workers, cluster) as executor, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} tasks"),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("plans", total=None)
            show = lambda stage, done, total: bar.update(task, description=stage, completed=done, total=total)  # noqa: E731
            result = find_plan(
                config, settings["levers"], settings["targets"], **settings["options"], workers=n_workers,
                executor=executor, progress=show, journal=PlanJournal(folder, settings), replay=replay,
            )
            write_plan_files(result, folder)
            write_plan_html(result, folder)
            shutil.rmtree(folder / CHECKPOINT, ignore_errors=True)
    except (ScenarioError, LeverError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        if partial.exists():
            stopped(exc, f"the replications simulated are kept in {partial}/; continue with "
                          f"chartsim plan {scenario} --resume {partial}")
        stopped(exc, "nothing was written")
    console.print(markup_safe(sentence(result)), soft_wrap=True)
    if result.runner_up is not None:
        console.print(markup_safe(f"runner-up: {result.runner_up.name} — {result.runner_up_reason}"), soft_wrap=True)
    for note in result.notes:
        console.print(markup_safe(f"note: {note}"), soft_wrap=True)
    console.print(markup_safe(f"{len(result.plans)} plans, {result.total_reps:,} replications; "
                              f"wrote {out}/plan.json, plans.csv and plan.html"), soft_wrap=True)
    if result.chosen is None:
        raise typer.Exit(1)
