"""The ``chartsim`` command: a thin shell over the Python API."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from typer.exceptions import TyperException

from sim.console import (
    Col,
    Fit,
    RateColumn,
    comparison_table,
    make_console,
    markup_safe,
    metrics_table,
    precision_table,
    staffing_report,
    summary_table,
)
from sim.registry import fmt, scenario_metrics, sections_on

# Simulation, statistics and the scenario schema load inside the commands that
# use them, so --help, metrics and error messages answer at once.

CHART_ROWS = 2_000_000  # above this many expected chart rows, per-chart tables only with --charts

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Simulate medical-coding work.")
console = make_console()  # the terminal's width; 80 columns (or COLUMNS) into a file or pipe
err = make_console(stderr=True)
T = TypeVar("T")


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit without a traceback."""
    err.print(f"[bold red]error:[/] {markup_safe(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _load(path: Path):
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        fail(str(exc))


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    reps: Annotated[int | None, typer.Option(
        "--reps", min=1, max=1_000_000,
        help="replications (default 100); with --precision the replications of the first check (default 10)")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="new run folder (default runs/NAME-TIME)")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
    charts: Annotated[bool | None, typer.Option(
        "--charts/--no-charts",
        help=f"write the per-chart tables, charts and activities (default: when a run expects at most {CHART_ROWS:,} "
             "chart rows)")] = None,
    charts_format: Annotated[str, typer.Option(
        "--charts-format",
        help=f"csv, parquet, or auto: CSV up to {CHART_ROWS:,} expected chart rows, Parquet above (charts.parquet/, "
             "read with pandas.read_parquet)")] = "auto",
    precision: Annotated[float | None, typer.Option(
        "--precision",
        help="0 < P < 1: add replications (10 at a time) until each chosen metric's 95% CI half-width h ≤ max(P·|mean|, "
             "--half-width) at three checks in a row; exit status 3 if the --max-reps budget runs out first")] = None,
    half_width: Annotated[float | None, typer.Option(
        "--half-width",
        help="with --precision: absolute half-width H, in each metric's own units; a metric near zero "
             "(|mean| < H/P, so any whose mean is within H of 0) converges on h ≤ H instead of P·|mean|. "
             "Without it only a metric that is the same (e.g. 0) in every replication converges that way")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", metavar="NAME",
        help="with --precision: a metric to converge on (repeatable; default: the headline metrics; "
             "see chartsim metrics)")] = None,
    max_reps: Annotated[int | None, typer.Option(
        "--max-reps", min=1, max=1_000_000,
        help="with --precision: replication budget, at least --reps (default 1000)")] = None,
    streams: Annotated[str, typer.Option(
        "--streams", help="common: variants share random numbers (paired-t); independent: own streams (Welch)")] = "common",
    report: Annotated[bool, typer.Option("--report", help="also write report.html and results.xlsx into the run folder")] = False,
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK",
        help="run the replications on a Dask cluster: its scheduler's address (e.g. tcp://10.0.0.5:8786); "
             "replaces --workers, same numbers")] = None,
    resume: Annotated[Path | None, typer.Option(
        "--resume", metavar="PARTIAL",
        help="continue the interrupted run in PARTIAL (OUT.partial) with its seed, replications, --precision "
             "settings and --out; ends with the same bytes as a run never interrupted")] = None,
) -> None:
    """Run a scenario and write a run folder.

    Exit status: 0 done; 2 bad input; 3 with --precision, a chosen metric had
    not converged when --max-reps ran out (the run folder is still written);
    130 interrupted.
    """
    plan = None
    if charts_format not in ("auto", "csv", "parquet"):
        fail(f"--charts-format must be auto, csv or parquet (got {charts_format!r})")
    if streams not in ("common", "independent"):
        fail(f"--streams must be 'common' or 'independent' (got {streams!r})")
    if precision is None:
        for name, given in (("--half-width", half_width is not None), ("--metric", bool(metric)),
                            ("--max-reps", max_reps is not None)):
            if given:
                fail(f"{name} needs --precision")
    else:
        from sim.analysis import PrecisionPlan

        first = reps if reps is not None else PrecisionPlan.min_reps
        try:
            plan = PrecisionPlan(precision=precision, half_width=half_width, min_reps=first,
                                 max_reps=max_reps if max_reps is not None else max(PrecisionPlan.max_reps, first))
        except ValueError as exc:
            fail(str(exc))
    config = _load(scenario)
    _warn_uncoded(config)
    resumed: list = []
    taken = None  # the folder this run writes, claimed before anything is simulated
    if resume is not None:
        from sim.folders import reclaim
        from sim.output import RunInterrupted, load_checkpoint

        taken = _claimed(reclaim, resume)  # before the checkpoint is read: its files are cut back to the last task
        try:
            try:
                saved, resumed = load_checkpoint(resume)
            except RunInterrupted as exc:
                fail(str(exc))
            if saved["scenario"] != config:
                fail(f"--resume: {scenario} is not the scenario of the interrupted run in {resume} (changed since?)")
            seed, reps, streams, charts, out = (saved["seed"], saved["reps"], saved["streams"], saved["charts"],
                                                Path(saved["out"]))
            charts_format = saved.get("charts_format", "csv")
            plan, metric = saved.get("plan"), saved.get("metrics")  # a --precision run goes on as it started
            if out.exists():
                fail(f"--out: {out} already exists; choose a new folder")
        except BaseException:
            taken.release()
            raise
        taken.out = out
    chosen: list[str] = []
    if plan is not None:
        allowed = [m.name for m in scenario_metrics(config)]
        unknown = [m for m in metric or [] if m not in allowed]
        if unknown:
            fail(f"--metric: unknown metric {unknown[0]!r}; allowed: {', '.join(allowed)}")
        chosen = list(dict.fromkeys(metric)) if metric else [m.name for m in scenario_metrics(config) if m.headline]
    if out is None:
        out = Path("runs") / f"{scenario.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    from sim.chart_files import ChartFiles
    from sim.folders import OutputError, claim
    from sim.output import CHECKPOINT, Checkpoint, write_tables
    from sim.runner import run as run_scenario
    from sim.runner import run_to_precision

    rows = sum(config.expected_charts().values()) * (1 + len(config.expanded()))
    rows *= plan.max_reps if plan is not None else (reps if reps is not None else 100)
    if charts_format == "auto":
        charts_format = "csv" if rows <= CHART_ROWS else "parquet"
    note = charts is None and rows > CHART_ROWS
    if charts is None:  # per-chart tables by default only where they stay a manageable file
        charts = rows <= CHART_ROWS
    n_reps = reps if reps is not None else 100

    if taken is None:
        taken = _claimed(claim, out, True)
    partial = taken.folder
    try:
        with taken as folder, Progress(
            TextColumn("simulating"), BarColumn(), TextColumn("{task.completed}/{task.total} replications"),
            RateColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        ) as bar, _cluster(dask) as cluster:
            if note:
                err.print(f"note: per-chart tables not written (about {rows:,.0f} chart rows expected); "
                          "--charts writes them (as Parquet)", highlight=False, soft_wrap=True)
            task = bar.add_task("run", total=None)
            stream = ChartFiles(folder, charts_format, per_chart=charts)  # big tables to disk, task by task
            show = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
            settings = {"scenario": config, "seed": seed, "reps": n_reps, "streams": streams, "charts": charts,
                        "charts_format": charts_format, "out": str(out), "plan": plan, "metrics": chosen}
            checkpoint = Checkpoint(folder, settings, stream)
            if plan is None:
                results = run_scenario(
                    config, reps=n_reps, seed=seed, workers=workers, executor=cluster, keep_charts=False,
                    sink=checkpoint, resume=resumed or None, streams=streams, progress=show,
                )
            else:
                results = run_to_precision(
                    config, plan, metrics=chosen, seed=seed, workers=workers, executor=cluster, keep_charts=False,
                    sink=checkpoint, resume=resumed or None, streams=streams, progress=show,
                )
            write_tables(results, folder)
            shutil.rmtree(folder / CHECKPOINT, ignore_errors=True)
    except OutputError as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        if partial.exists():
            _stopped(exc, f"finished replications are kept in {partial}/; continue with "
                          f"chartsim run {scenario} --resume {partial}")
        _stopped(exc, "nothing was written")
    console.print(summary_table(results))
    if not results.comparison.empty:
        console.print(comparison_table(results))
        console.print(f"each variant's own summary: {markup_safe(out)}/summary.csv")
    missed: list[str] = []
    if plan is not None and results.precision is not None:
        console.print(precision_table(results))
        p = results.precision
        label = [m if v == "base" else f"{v}:{m}" for v, m in zip(p["variant"], p["metric"])]
        missed = [name for name, ok in zip(label, p["converged"].astype(bool)) if not ok]
        checked = set(zip(p["variant"], p["metric"]))
        skipped = [m if v == "base" else f"{v}:{m}" for m in chosen for v in ("base", *results.variants)
                   if (v, m) not in checked]
        if skipped:
            console.print(f"not checked (no value, or only one, in the first {plan.min_reps} replications): "
                          f"{markup_safe(', '.join(skipped))}", soft_wrap=True)
        if missed:
            console.print(f"[red]not converged after {results.reps} replications (--max-reps {plan.max_reps}):[/] "
                          f"{markup_safe(', '.join(missed))} — raise --max-reps, loosen --precision or, for metrics near 0, "
                          "set --half-width", soft_wrap=True)
    console.print(f"wrote {markup_safe(out)}/ in {results.wall_seconds:.2f} s of simulation")
    if not err.is_terminal:  # no progress bar was shown: one closing line for logs
        n = results.reps * (1 + len(results.variants))
        err.print(f"simulated {n:,} replications in {results.wall_seconds:.1f} s "
                  f"({n / max(results.wall_seconds, 1e-9):,.0f} per second)", highlight=False)
    if report:
        _write_report(out)
    if missed:
        raise typer.Exit(3)


def _claimed(take: Callable[..., T], *args: object) -> T:
    """The output folder, claimed by ``take`` before anything is simulated; a refusal is one line, exit status 2."""
    from sim.folders import OutputError

    try:
        return take(*args)
    except OutputError as exc:
        fail(str(exc))
        raise  # not reached: fail exits


def _stopped(exc: KeyboardInterrupt, what: str) -> NoReturn:
    """One line for Ctrl-C or SIGTERM, exit status 130."""
    from sim.executor import Terminated

    word = "terminated" if isinstance(exc, Terminated) else "interrupted"
    err.print(f"{word}: {markup_safe(what)}", highlight=False, soft_wrap=True)
    _said_stopped.append(word)
    raise typer.Exit(130) from None


_said_stopped: list[str] = []  # the line _stopped printed, so main() does not print another


@contextmanager
def _cluster(address: str | None) -> Iterator[object | None]:
    """A client of the Dask scheduler at ``address`` (None: run locally)."""
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        fail("--dask: needs the distributed package (pip install 'chartsim[dask]')")
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        fail(f"--dask: cannot reach a Dask scheduler at {address!r} ({exc})")
    with client:
        yield client


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")]) -> None:
    """Validate a scenario file without running it."""
    config = _load(scenario)
    extra = f", {len(config.expanded())} variants" if config.variants or config.sweeps else ""
    console.print(markup_safe(f"{scenario}: ok — {config.name}: {config.n_coders} coders, {config.days} days{extra}"))
    _warn_uncoded(config)


def _warn_uncoded(config) -> None:
    """Chart types allowed (coders.allow_uncoded_types) though no coder codes them: their backlog only grows."""
    if uncoded := config.uncoded_types():
        err.print(markup_safe(f"warning: no coder codes {', '.join(uncoded)} (coders.allow_uncoded_types): "
                              "those charts wait until the end of the run"), highlight=False, soft_wrap=True)


@app.command()
def metrics(
    scenario: Annotated[Path | None, typer.Argument(help="scenario YAML file: name its per-type rates")] = None,
) -> None:
    """List the metrics a run reports: name, unit, better direction, meaning (names usable in targets)."""
    if scenario is None:
        console.print(metrics_table())
        return
    config = _load(scenario)
    console.print(metrics_table(list(config.chart_types), sections_on(config)))


@app.command()
def staff(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    target: Annotated[str, typer.Option("--target", help="e.g. 'turnaround_p95_days <= 3' (see chartsim metrics)")],
    confidence: Annotated[float, typer.Option(
        "--confidence", help="confidence c of the decision, 0–1 (the interval shown is the two-sided 2c−1 one)")] = 0.9,
    coders: Annotated[str, typer.Option("--coders", help="range of main-team counts to search, e.g. 2..30")] = "1..60",
    rule: Annotated[str, typer.Option("--rule", help="bound (confidence bound of the mean) | probability (P(met), Wilson)")] = "bound",
    reps: Annotated[int, typer.Option("--reps", min=1, max=100_000, help="replications per count")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed (the same for every count)")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="new folder for staffing.csv (default runs/NAME-staff-TIME)")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK", help="run on a Dask cluster: its scheduler's address (replaces --workers)")] = None,
) -> None:
    """Find the smallest number of coders that meets a target."""
    from sim.folders import OutputError, claim
    from sim.scenario import ScenarioError
    from sim.staffing import known_metrics, parse_coders, parse_target, write_staffing_files
    from sim.staffing import search as staff_search

    config = _load(scenario)
    try:
        goal = parse_target(target, known_metrics(config))
        span = parse_coders(coders)
    except ScenarioError as exc:
        fail(str(exc))
    if out is None:
        out = Path("runs") / f"{scenario.stem}-staff-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        with _claimed(claim, out) as folder, _cluster(dask) as cluster:
            result = staff_search(
                config, goal, span, confidence=confidence, rule=rule, reps=reps, seed=seed,  # type: ignore[arg-type]
                workers=workers, executor=cluster,
                progress=lambda n, p: err.print(f"  {n} main-team coders: mean {fmt(p.mean, goal.metric)}, met: {p.met}"),
            )
            console.print(staffing_report(result))
            write_staffing_files(result, folder)
    except (ScenarioError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        _stopped(exc, "nothing was written")
    console.print(f"wrote {markup_safe(out)}/staffing.csv and staffing.json", soft_wrap=True)
    if result.answer is None:
        raise typer.Exit(1)


@app.command()
def select(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file whose base and variants are the plans")],
    metric: Annotated[str, typer.Option("--metric", help="metric to compare, e.g. cost_per_chart (see chartsim metrics)")],
    delta: Annotated[float, typer.Option("--delta", help="indifference zone: differences smaller than this do not matter")],
    goal: Annotated[str, typer.Option("--goal", help="min (smaller is better) | max")] = "min",
    alpha: Annotated[float, typer.Option("--alpha", help="1 − probability of correct selection")] = 0.05,
    n0: Annotated[int, typer.Option("--n0", help="first-stage replications per plan")] = 10,
    max_reps: Annotated[int, typer.Option("--max-reps", help="replication budget per plan")] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="new folder for selection.csv")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK", help="run on a Dask cluster: its scheduler's address (replaces --workers)")] = None,
) -> None:
    """Choose the best plan among the base and its variants (KN++, indifference zone)."""
    from sim.folders import OutputError, claim
    from sim.output import write_table
    from sim.scenario import ScenarioError
    from sim.selection import choose_plan

    config = _load(scenario)
    if goal not in ("min", "max"):
        fail(f"--goal must be min or max (got {goal!r})")
    try:
        with _claimed(claim, out) if out is not None else nullcontext(None) as folder, _cluster(dask) as cluster:
            choice = choose_plan(config, metric, delta, maximise=goal == "max", alpha=alpha, n0=n0,
                                 max_reps=max_reps, seed=seed, workers=workers, executor=cluster)
            frame = choice.table()
            if folder is not None:
                write_table(frame, folder / "selection.csv")
    except (ScenarioError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        _stopped(exc, "nothing was written")
    from pandas import isna

    rows = [[str(r["plan"]), str(r["replications"]), fmt(r["mean"], metric),
             "" if isna(r["eliminated_at"]) else f"stage {r['eliminated_at']}",
             "yes" if r["chosen"] else ""] for _, r in frame.iterrows()]
    cols = [Col("plan", name=True), Col("replications"), Col("mean"), Col("eliminated at"), Col("chosen")]
    console.print(Fit(f"KN++ on {metric} ({goal}), indifference zone {delta:g}, P(correct) ≥ {1 - alpha:.0%}",
                      cols, rows))
    note = " (stopped by --max-reps: the best mean so far)" if choice.selection.stopped_by_budget else ""
    console.print(f"best plan: [bold]{markup_safe(choice.best)}[/]{note}; {choice.selection.total} replications in all")
    if out is not None:
        console.print(f"wrote {markup_safe(out)}/selection.csv")


@app.command()
def plan(
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
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
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
    from sim.folders import OutputError, claim, reclaim
    from sim.levers import LeverError, levers_of
    from sim.plan import find_plan, plan_base
    from sim.plan_output import sentence, write_plan_files
    from sim.plan_resume import CHECKPOINT, PlanInterrupted, PlanJournal, load_journal
    from sim.scenario import ScenarioError
    from sim.staffing import known_metrics, parse_target

    config = _load(scenario)
    replay = None
    if resume is not None:
        taken = _claimed(reclaim, resume)
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
        taken = _claimed(claim, out, True)
    partial = taken.folder
    try:
        with taken as folder, _cluster(dask) as cluster, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} tasks"),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("plans", total=None)
            show = lambda stage, done, total: bar.update(task, description=stage, completed=done, total=total)  # noqa: E731
            result = find_plan(
                config, settings["levers"], settings["targets"], **settings["options"], workers=workers,
                executor=cluster, progress=show, journal=PlanJournal(folder, settings), replay=replay,
            )
            write_plan_files(result, folder)
            shutil.rmtree(folder / CHECKPOINT, ignore_errors=True)
    except (ScenarioError, LeverError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        if partial.exists():
            _stopped(exc, f"the replications simulated are kept in {partial}/; continue with "
                          f"chartsim plan {scenario} --resume {partial}")
        _stopped(exc, "nothing was written")
    console.print(markup_safe(sentence(result)), soft_wrap=True)
    if result.runner_up is not None:
        console.print(markup_safe(f"runner-up: {result.runner_up.name} — {result.runner_up_reason}"), soft_wrap=True)
    for note in result.notes:
        console.print(markup_safe(f"note: {note}"), soft_wrap=True)
    console.print(markup_safe(f"{len(result.plans)} plans, {result.total_reps:,} replications; "
                              f"wrote {out}/plan.json, plans.csv and plan.html"), soft_wrap=True)
    if result.chosen is None:
        raise typer.Exit(1)


def _write_report(folder: Path) -> None:
    from sim.report import RunFolderError, build_report  # matplotlib loads only when a report is asked for

    try:
        html = build_report(folder)
    except RunFolderError as exc:
        fail(str(exc))
    console.print(markup_safe(f"wrote {html} and {html.with_name('results.xlsx')}"))


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="run folder written by chartsim run or chartsim staff")]) -> None:
    """Write report.html and results.xlsx into a run folder (never re-runs the simulation)."""
    _write_report(run_dir)


from sim.fit.command import fit_cmd  # noqa: E402  (typer and pathlib only: pandas and scipy load when it runs)

app.command("fit")(fit_cmd)

from sim.serve.command import serve_cmd  # noqa: E402  (typer only: FastAPI and uvicorn load when it runs)

app.command("serve")(serve_cmd)


def main() -> None:
    """Entry point: option errors, like scenario errors, are one line and exit status 2.

    Ctrl-C and SIGTERM stop the command with one line and exit status 130.
    """
    from sim.executor import Terminated, stop_on_signals

    stop_on_signals()
    try:
        code = app(prog_name="chartsim", standalone_mode=False)
    except TyperException as exc:  # typer's (vendored click's) usage errors
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # an empty one follows the help text, already shown
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "chartsim"
            err.print(f"[bold red]error:[/] {markup_safe(f'{where}: {message} (see {where} --help)')}", highlight=False,
                      soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort) as exc:
        cause = (exc.__cause__ or exc.__context__) if isinstance(exc, typer.Abort) else exc
        word = "terminated" if isinstance(cause, Terminated) else "interrupted"
        err.print(word, highlight=False)
        sys.exit(130)
    if code == 130 and not _said_stopped:  # typer turns a KeyboardInterrupt outside _stopped into exit status 130
        err.print("interrupted", highlight=False)
    sys.exit(code if isinstance(code, int) else 0)
