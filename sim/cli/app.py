"""The ``chartsim`` command: a thin shell over the Python API."""

from __future__ import annotations

import gc
import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from typer.exceptions import TyperException

from sim.cli.console import (
    Col,
    Fit,
    RateColumn,
    comparison_table,
    markup_safe,
    metrics_table,
    precision_table,
    summary_table,
)
from sim.cli.shell import (
    Workers,
    charts_per_replication,
    claimed,
    console,
    dask_client,
    err,
    fail,
    load,
    said_stopped,
    stopped,
    workers_count,
    workers_for,
)
from sim.cli.staffing import staffing_report
from sim.runs.registry import fmt, run_scope

# Simulation, statistics and the scenario schema load inside the commands that
# use them, so --help, metrics and error messages answer at once.

CHART_ROWS = 2_000_000  # sim.runs.folder.CHART_ROWS, here so that --help loads no pandas (a test keeps them equal)

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Simulate medical-coding work.")


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file, or a bundled scenario's name (chartsim scenarios)")],
    reps: Annotated[int | None, typer.Option(
        "--reps", min=1, max=1_000_000,
        help="replications (default 100); with --precision the replications of the first check (default 10)")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="new run folder (default runs/NAME-TIME)")] = None,
    workers: Workers = "auto",
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
    open_charts: Annotated[Path | None, typer.Option(
        "--open-charts", help="start from this morning: a CSV of the charts open now (state.open_charts; needs "
                              "--as-of unless the scenario gives state.as_of); it replaces the scenario's drawn "
                              "starting queue, and the warm-up is 0")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="'YYYY-MM-DD HH:MM'", help="when the state was taken: the run starts there (state.as_of)")] = None,
    columns: Annotated[str | None, typer.Option(
        "--columns", help="with --open-charts: map its column names, e.g. chart_id=Account,arrived_at=Discharged")] = None,
    leave: Annotated[Path | None, typer.Option(
        "--leave", help="a CSV of leave already booked: coder, from, to (coders.leave)")] = None,
    volume_forecast: Annotated[Path | None, typer.Option(
        "--volume-forecast", help="a CSV of expected charts: date, chart_type, expected (arrivals.volume_forecast)")] = None,
    backlog_below: Annotated[int | None, typer.Option(
        "--backlog-below", min=0, help="with a state: when does the backlog fall under N? (state.answers)")] = None,
    dnfb_days_above: Annotated[float | None, typer.Option(
        "--dnfb-days-above", min=0, help="with a state: on which days is P(DNFB days > X) above 50 %? (state.answers)")] = None,
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
        from sim.stats.precision import PrecisionPlan

        first = reps if reps is not None else PrecisionPlan.min_reps
        try:
            plan = PrecisionPlan(precision=precision, half_width=half_width, min_reps=first,
                                 max_reps=max_reps if max_reps is not None else max(PrecisionPlan.max_reps, first))
        except ValueError as exc:
            fail(str(exc))
    config = load(scenario, _state_changes(open_charts, as_of, columns, leave, volume_forecast, backlog_below,
                                            dnfb_days_above))
    if dnfb_days_above is not None and "revenue" not in run_scope(config)[1]:
        fail(f"--dnfb-days-above: {scenario} has no revenue section, so the run has no DNFB days to ask about; "
             "add revenue (dollars per chart type) or leave the option out")
    _warn_uncoded(config)
    workers_count(workers)  # a bad --workers is refused before the folder is claimed
    from sim.runs.checkpoint import RunInterrupted
    from sim.runs.executor import executing
    from sim.runs.folder import RunRefused, claim_run
    from sim.runs.folders import OutputError

    if out is None and resume is None:
        out = Path("runs") / f"{scenario.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        job = claim_run(config, out, reps=reps, seed=seed, charts=charts, charts_format=charts_format, plan=plan,
                        metrics=metric, streams=streams, resume=resume, source=scenario)
    except (RunRefused, OutputError, RunInterrupted) as exc:
        fail(str(exc))
    out, plan, chosen = job.out, job.settings["plan"], job.settings["metrics"]
    first = plan.min_reps if plan is not None else job.settings["reps"]  # a resumed run's own
    try:
        n_workers = workers_for(workers, lambda: charts_per_replication(job.settings["scenario"], variants=True) * first)
        # The workers are started before the progress bar, whose thread a fork must not copy (executing).
        with job, dask_client(dask) as cluster, executing(n_workers, cluster) as executor, Progress(
            TextColumn("simulating"), BarColumn(), TextColumn("{task.completed}/{task.total} replications"),
            RateColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        ) as bar:
            if job.charts_dropped:
                err.print(f"note: per-chart tables not written (about {job.rows:,.0f} chart rows expected); "
                          "--charts writes them (as Parquet)", highlight=False, soft_wrap=True)
            task = bar.add_task("run", total=None)
            show = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
            results = job.run(n_workers, executor, show)
    except OutputError as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        if job.folder.exists() and not job.resumable:  # stopped before the run was entered: nothing to resume
            job.claim.discard()
        if job.folder.exists():
            stopped(exc, f"finished replications are kept in {job.folder}/; continue with "
                          f"chartsim run {scenario} --resume {job.folder}")
        stopped(exc, "nothing was written")
    console.print(summary_table(results))
    if results.outlook is not None:
        from sim.runs.answers import answers_table

        for variant, _, _, answer in answers_table(results.outlook, config).itertuples(index=False):
            label = "" if variant == "base" else f"{variant}: "
            console.print(markup_safe(f"{label}{answer}"), soft_wrap=True)
        console.print(f"day by day, with percentiles: {markup_safe(out)}/forecast.csv")
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
    by = f" on {results.workers} worker processes" if results.workers > 1 else ""
    console.print(f"wrote {markup_safe(out)}/ in {results.wall_seconds:.2f} s of simulation{by}")
    if not err.is_terminal:  # no progress bar was shown: one closing line for logs
        n = results.reps * (1 + len(results.variants))
        err.print(f"simulated {n:,} replications in {results.wall_seconds:.1f} s "
                  f"({n / max(results.wall_seconds, 1e-9):,.0f} per second)", highlight=False)
    if report:
        _write_report(out)
    if missed:
        raise typer.Exit(3)


def _state_changes(open_charts: Path | None, as_of: str | None, columns: str | None, leave: Path | None,
                   volume_forecast: Path | None, backlog_below: int | None, dnfb_days_above: float | None) -> dict:
    """The starting-state options as scenario settings by dotted path (sim.scenario.state_files.start_changes)."""
    from sim.scenario.state_files import StateFileError, start_changes

    try:
        return start_changes(open_charts, as_of, columns, leave, volume_forecast, backlog_below, dnfb_days_above)
    except StateFileError as exc:
        fail(str(exc))


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario YAML file, or a bundled scenario's name (chartsim scenarios)")]) -> None:
    """Validate a scenario file without running it."""
    config = load(scenario)
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
    config = load(scenario)
    console.print(metrics_table(*run_scope(config)))  # a variant's own sections' metrics too


@app.command()
def staff(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file, or a bundled scenario's name (chartsim scenarios)")],
    target: Annotated[str, typer.Option("--target", help="e.g. 'turnaround_p95_days <= 3' (see chartsim metrics)")],
    confidence: Annotated[float, typer.Option(
        "--confidence", help="confidence c of the decision, 0–1 (the interval shown is the two-sided 2c−1 one)")] = 0.9,
    coders: Annotated[str, typer.Option("--coders", help="range of main-team counts to search, e.g. 2..30")] = "1..60",
    rule: Annotated[str, typer.Option("--rule", help="bound (confidence bound of the mean) | probability (P(met), Wilson)")] = "bound",
    reps: Annotated[int, typer.Option("--reps", min=1, max=100_000, help="replications per count")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed (the same for every count)")] = 0,
    workers: Workers = "auto",
    probes: Annotated[int, typer.Option(
        "--probes", min=1, max=16,
        help="counts tried at once at each step of the search, 1–16: more finish sooner on many workers or a "
             "cluster and may try a few more counts. The rows depend on it, never on --workers")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="new folder for staffing.csv (default runs/NAME-staff-TIME)")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK", help="run on a Dask cluster: its scheduler's address (replaces --workers)")] = None,
) -> None:
    """Find the smallest number of coders that meets a target."""
    from sim.analysis.staffing import search as staff_search
    from sim.analysis.staffing import write_staffing_files
    from sim.analysis.targets import known_metrics, parse_coders, parse_target
    from sim.runs.folders import OutputError, claim
    from sim.scenario.errors import ScenarioError

    config = load(scenario)
    try:
        goal = parse_target(target, known_metrics(config))
        span = parse_coders(coders)
    except ScenarioError as exc:
        fail(str(exc))
    n_workers = workers_for(workers, lambda: charts_per_replication(config) * reps)  # each count searched: at least
    if out is None:
        out = Path("runs") / f"{scenario.stem}-staff-{datetime.now():%Y%m%d-%H%M%S}"
    try:
        with claimed(claim, out) as folder, dask_client(dask) as cluster:
            result = staff_search(
                config, goal, span, confidence=confidence, rule=rule, reps=reps, seed=seed,  # type: ignore[arg-type]
                workers=n_workers, executor=cluster, width=probes,
                progress=lambda n, p: err.print(f"  {n} main-team coders: mean {fmt(p.mean, goal.metric)}, met: {p.met}"),
            )
            console.print(staffing_report(result))
            write_staffing_files(result, folder)
    except (ScenarioError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        stopped(exc, "nothing was written")
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
    workers: Workers = "auto",
    dask: Annotated[str | None, typer.Option(
        "--dask", envvar="CHARTSIM_DASK", help="run on a Dask cluster: its scheduler's address (replaces --workers)")] = None,
) -> None:
    """Choose the best plan among the base and its variants (KN++, indifference zone)."""
    from sim.analysis.selection import choose_plan
    from sim.runs.folders import OutputError, claim
    from sim.runs.write import write_table
    from sim.scenario.errors import ScenarioError

    config = load(scenario)
    if goal not in ("min", "max"):
        fail(f"--goal must be min or max (got {goal!r})")
    n_workers = workers_for(workers, lambda: charts_per_replication(config, variants=True) * n0)
    try:
        with claimed(claim, out) if out is not None else nullcontext(None) as folder, dask_client(dask) as cluster:
            choice = choose_plan(config, metric, delta, maximise=goal == "max", alpha=alpha, n0=n0,
                                 max_reps=max_reps, seed=seed, workers=n_workers, executor=cluster)
            frame = choice.table()
            if folder is not None:
                write_table(frame, folder / "selection.csv")
    except (ScenarioError, OutputError) as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:
        stopped(exc, "nothing was written")
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


def _write_report(folder: Path) -> None:
    # Loading pandas and matplotlib makes objects that live until the command ends; at Python's default
    # threshold (700) the collector would scan them hundreds of times. Every 10,000 new objects is enough:
    # the figures' reference cycles are still collected as they are drawn.
    gc.set_threshold(10_000, 10, 10)
    from sim.report import RunFolderError, build_report  # matplotlib loads only when a report is asked for

    try:
        html = build_report(folder, processes=2)  # figures drawn in two processes where a second CPU is free
    except RunFolderError as exc:
        fail(str(exc))
    console.print(markup_safe(f"wrote {html} and {html.with_name('results.xlsx')}"))


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="run folder written by chartsim run or chartsim staff")]) -> None:
    """Write report.html and results.xlsx into a run folder (never re-runs the simulation)."""
    _write_report(run_dir)


from sim.cli.fit import fit_cmd  # noqa: E402  (typer and pathlib only: pandas and scipy load when it runs)

app.command("fit")(fit_cmd)

from sim.cli.hindcast import hindcast_cmd  # noqa: E402  (typer only, like fit)

app.command("hindcast")(hindcast_cmd)

from sim.cli.serve import serve_cmd  # noqa: E402  (typer only: FastAPI and uvicorn load when it runs)

app.command("serve")(serve_cmd)

from sim.cli.plan import plan_cmd  # noqa: E402  (typer only: the search loads when it runs)

app.command("plan")(plan_cmd)

from sim.cli.scenarios import scenarios_app  # noqa: E402  (typer only: YAML loads when it runs)

app.add_typer(scenarios_app)


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("chartsim")
        except PackageNotFoundError:  # a source checkout that was never installed
            number = "unknown (not installed)"
        console.print(f"chartsim {number}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                               help="print chartsim's version and exit")] = False,
) -> None:
    pass


def main() -> None:
    """Entry point: option errors, like scenario errors, are one line and exit status 2.

    Ctrl-C and SIGTERM stop the command with one line and exit status 130.
    """
    from sim.runs.executor import STOPPED_BY, Terminated, stop_on_signals

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
    if code == 130 and not said_stopped:  # typer turns a KeyboardInterrupt outside stopped into exit status 130
        err.print(STOPPED_BY[0] if STOPPED_BY else "interrupted", highlight=False)
    # The command is done: the interpreter's last collection need not look at every object still alive (after a
    # report, the tables and matplotlib: about 0.1 s), so they are frozen out of it.
    gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)
