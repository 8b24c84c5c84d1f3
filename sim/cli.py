"""The ``chartsim`` command: a thin shell over the Python API."""

from __future__ import annotations

import math
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.exceptions import TyperException

from sim.analysis import PrecisionPlan
from sim.metrics import METRIC_DOCS
from sim.output import new_folder, write_run, write_table
from sim.runner import Results, run_to_precision
from sim.runner import run as run_scenario
from sim.scenario import ScenarioError, load_scenario
from sim.selection import choose_plan
from sim.staffing import SHOWN as STAFF_SHOWN
from sim.staffing import Staffing, known_metrics, parse_coders, parse_target, write_staffing
from sim.staffing import search as staff_search

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Simulate medical-coding work.")
console = Console(width=None if sys.stdout.isatty() else 130)
err = Console(stderr=True)

HEADLINE = [
    "charts_per_coder_day", "queries_sent", "queries_answered", "coding_minutes", "query_minutes",
    "interrupted_minutes", "break_minutes", "idle_minutes", "utilisation", "backlog_end",
    "on_hold_end", "turnaround_p95_days", "share_within_target", "cost_per_chart",
]


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit without a traceback."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _load(path: Path):
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        fail(str(exc))


def _summary_table(results: Results, variant: str = "base") -> Table:
    s = results.summary.loc[results.summary["variant"] == variant].set_index("metric")
    title = f"{results.scenario.name if variant == 'base' else variant} — {results.reps} replications, seed {results.seed}"
    table = Table(title=title, title_justify="left")
    for col in ("metric", "mean", "95% CI", "sd", "p5", "p50", "p95"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    kinds = [f"coded_{k}_per_coder_day" for k in results.scenario.chart_types]
    for metric in HEADLINE[:1] + kinds + HEADLINE[1:]:
        if metric not in s.index or pd.isna(s.at[metric, "mean"]):
            continue
        r = s.loc[metric]
        ci = "" if pd.isna(r["ci_low"]) else f"{r['ci_low']:.4g} – {r['ci_high']:.4g}"
        table.add_row(metric, f"{r['mean']:.4g}", ci, f"{r['sd']:.3g}", f"{r['p5']:.4g}", f"{r['p50']:.4g}", f"{r['p95']:.4g}")
    return table


def _precision_table(results: Results) -> Table:
    p = results.precision
    assert p is not None
    table = Table(title="Replications to precision (95 % CI half-width)", title_justify="left")
    for col in ("variant", "metric", "reps needed", "mean", "half-width", "relative", "converged"):
        table.add_column(col, justify="left" if col in ("variant", "metric") else "right")
    for _, r in p.iterrows():
        needed = "—" if pd.isna(r["reps_needed"]) else str(int(r["reps_needed"]))
        rel = "" if pd.isna(r["relative_half_width"]) else f"{r['relative_half_width']:.2%}"
        table.add_row(r["variant"], r["metric"], needed, f"{r['mean']:.4g}", f"{r['half_width']:.3g}", rel,
                      "yes" if r["converged"] else "[red]no[/]")
    return table


def _comparison_table(results: Results) -> Table:
    c = results.comparison
    how = "paired, common random numbers" if results.streams == "common" else "Welch, independent streams"
    table = Table(title=f"Variants against the base ({how})", title_justify="left")
    for col in ("variant", "metric", "base", "variant mean", "difference", "CI", "significant"):
        table.add_column(col, justify="left" if col in ("variant", "metric") else "right")
    for _, r in c.loc[c["metric"].isin(HEADLINE)].iterrows():
        table.add_row(
            r["variant"], r["metric"], f"{r['base_mean']:.4g}", f"{r['variant_mean']:.4g}",
            f"{r['difference']:+.4g}", f"{r['ci_low']:+.4g} … {r['ci_high']:+.4g}", "yes" if r["significant"] else "no",
        )
    return table


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    reps: Annotated[int, typer.Option("--reps", min=1, max=1_000_000, help="replications")] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="new run folder (default runs/NAME-TIME)")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="write charts.csv")] = True,
    precision: Annotated[float | None, typer.Option(
        "--precision", help="add replications until each key metric's 95% CI half-width ≤ this share of its mean (replaces --reps)")] = None,
    half_width: Annotated[float | None, typer.Option(
        "--half-width", help="with --precision: an absolute half-width that is also precise enough (metrics near zero)")] = None,
    max_reps: Annotated[int, typer.Option("--max-reps", help="with --precision: replication budget")] = 1000,
    streams: Annotated[str, typer.Option(
        "--streams", help="common: variants share random numbers (paired-t); independent: own streams (Welch)")] = "common",
    report: Annotated[bool, typer.Option("--report", help="also write report.html and results.xlsx into the run folder")] = False,
) -> None:
    """Run a scenario and write a run folder."""
    plan = None
    if streams not in ("common", "independent"):
        fail(f"--streams must be 'common' or 'independent' (got {streams!r})")
    if precision is not None or half_width is not None:
        try:
            plan = PrecisionPlan(precision=precision if precision is not None else math.nan,
                                 half_width=half_width, max_reps=max_reps)
        except ValueError as exc:
            fail(str(exc) if precision is not None else "--half-width needs --precision")
    config = _load(scenario)
    if out is None:
        out = Path("runs") / f"{scenario.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    if out.exists():
        fail(f"--out: {out} already exists; choose a new folder")
    with Progress(
        TextColumn("simulating"), BarColumn(), TextColumn("{task.completed}/{task.total} replications"),
        TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("run", total=None)
        if plan is None:
            results = run_scenario(
                config, reps=reps, seed=seed, workers=workers, keep_charts=charts, streams=streams,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        else:
            results = run_to_precision(
                config, plan, metrics=HEADLINE, seed=seed, workers=workers, keep_charts=charts, streams=streams,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    write_run(results, out)
    console.print(_summary_table(results))
    if not results.comparison.empty:
        console.print(_comparison_table(results))
        console.print(f"each variant's own summary: {out}/summary.csv")
    if results.precision is not None:
        console.print(_precision_table(results))
        missed = results.precision.loc[~results.precision["converged"].astype(bool)]
        if len(missed):
            names = ", ".join(f"{v}:{m}" if v != "base" else m for v, m in zip(missed["variant"], missed["metric"]))
            console.print(f"[red]not precise enough after {results.reps} replications:[/] {names}")
    console.print(f"wrote {out}/ in {results.wall_seconds:.2f} s of simulation")
    if report:
        _write_report(out)


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")]) -> None:
    """Validate a scenario file without running it."""
    config = _load(scenario)
    extra = f", {len(config.expanded())} variants" if config.variants or config.sweeps else ""
    console.print(f"{scenario}: ok — {config.name}: {config.n_coders} coders, {config.days} days{extra}")


@app.command()
def metrics() -> None:
    """List the metrics a run reports (names usable in targets and comparisons)."""
    for name, doc in METRIC_DOCS.items():
        console.print(f"{name:24} {doc}")


def _staff_curve(result: Staffing) -> Table:
    t = result.target
    level = f"{2 * result.confidence - 1:.0%}"
    table = Table(title=f"Staffing curve: {t}", caption="coders = main team; other teams fixed", title_justify="left")
    for col in ("coders", "in all", "mean", f"{level} CI", "P(met)", "95% Wilson", "met"):
        table.add_column(col, justify="right")
    for n, p in sorted(result.points.items()):
        ci = "" if np.isnan(p.ci_low) else f"{p.ci_low:.4g} – {p.ci_high:.4g}"
        table.add_row(
            str(n), str(p.total_coders), f"{p.mean:.4g}", ci, f"{p.p_met:.0%}",
            f"{p.p_met_low:.0%} – {p.p_met_high:.0%}", "[green]yes[/]" if p.met else "[red]no[/]",
        )
    return table


def _staff_at(result: Staffing) -> Table:
    n = result.answer
    have = [m for m in (n - 1, n) if m in result.points]
    table = Table(title="At N and N−1 (means over replications)", title_justify="left")
    table.add_column("metric")
    for m in have:
        table.add_column(f"N={m}", justify="right")
    if len(have) == 2:
        table.add_column("N−1 minus N", justify="right")
    metrics = [result.target.metric] + [m for m in STAFF_SHOWN if m != result.target.metric]
    for metric in metrics:
        cells = [f"{result.points[m].replications[metric].mean():.4g}" for m in have]
        if len(have) == 2:
            a = result.points[have[0]].replications[metric].to_numpy(dtype=float)
            b = result.points[have[1]].replications[metric].to_numpy(dtype=float)
            cells.append(f"{float(np.nanmean(a - b)):+.4g}")
        table.add_row(metric, *cells)
    return table


@app.command()
def staff(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    target: Annotated[str, typer.Option("--target", help="e.g. 'turnaround_p95_days <= 3' (see chartsim metrics)")],
    confidence: Annotated[float, typer.Option("--confidence", help="confidence of the decision, 0–1")] = 0.9,
    coders: Annotated[str, typer.Option("--coders", help="range of main-team counts to search, e.g. 2..30")] = "1..60",
    rule: Annotated[str, typer.Option("--rule", help="bound (confidence bound of the mean) | probability (P(met), Wilson)")] = "bound",
    reps: Annotated[int, typer.Option("--reps", min=1, max=100_000, help="replications per count")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="master seed (the same for every count)")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="worker processes")] = 1,
    out: Annotated[Path | None, typer.Option("--out", help="new folder for staffing.csv (default runs/NAME-staff-TIME)")] = None,
) -> None:
    """Find the smallest number of coders that meets a target."""
    config = _load(scenario)
    if out is None:
        out = Path("runs") / f"{scenario.stem}-staff-{datetime.now():%Y%m%d-%H%M%S}"
    if out.exists():
        fail(f"--out: {out} already exists; choose a new folder")
    try:
        goal = parse_target(target, known_metrics(config))
        result = staff_search(
            config, goal, parse_coders(coders), confidence=confidence, rule=rule, reps=reps, seed=seed,  # type: ignore[arg-type]
            workers=workers, progress=lambda n, p: err.print(f"  {n} coders: mean {p.mean:.4g}, met: {p.met}"),
        )
    except ScenarioError as exc:
        fail(str(exc))
    w = result.workload
    console.print(f"[bold]{config.name}[/]: smallest main team meeting [bold]{goal}[/] with {confidence:.0%} confidence")
    console.print(f"rule — {result.rule_text()}; {reps} replications per count, seed {seed}, same seed for every count", soft_wrap=True)
    console.print(
        f"analytic estimate: {w.work_per_workday:.0f} min of work per working day − {w.other_capacity:.0f} from other teams "
        f"÷ ({w.main_speed:g} × {w.productive_minutes:.0f} productive min per coder-day) = {w.coders:.2f} → at least {w.minimum} coders",
        soft_wrap=True,
    )
    e = result.erlang
    console.print(f"Erlang C: {e.coders} main-team coders ({e.note})" if e.coders is not None else f"Erlang C: {e.note}")
    console.print(_staff_curve(result))
    lo, hi = result.coder_range
    if result.answer is None:
        console.print(f"[red]not met[/] with up to {hi} main-team coders; widen --coders")
    else:
        p = result.points[result.answer]
        console.print(
            f"simulated answer: [bold]{result.answer}[/] main-team coders ({p.total_coders} in all) "
            f"beside the analytic {w.minimum}; cost per chart ${p.replications['cost_per_chart'].mean():.2f}",
            soft_wrap=True,
        )
        if result.answer == lo:
            console.print(f"(met at the bottom of --coders {lo}..{hi}; N−1 was not simulated)")
        console.print(_staff_at(result))
    for note in result.notes:
        console.print(f"note: {note}")
    write_staffing(result, out)
    console.print(f"wrote {out}/staffing.csv")
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
) -> None:
    """Choose the best plan among the base and its variants (KN++, indifference zone)."""
    config = _load(scenario)
    if goal not in ("min", "max"):
        fail(f"--goal must be min or max (got {goal!r})")
    if out is not None and out.exists():
        fail(f"--out: {out} already exists; choose a new folder")
    try:
        choice = choose_plan(config, metric, delta, maximise=goal == "max", alpha=alpha, n0=n0,
                             max_reps=max_reps, seed=seed)
    except ScenarioError as exc:
        fail(str(exc))
    table = Table(title=f"KN++ on {metric} ({goal}), indifference zone {delta:g}, P(correct) ≥ {1 - alpha:.0%}",
                  title_justify="left")
    for col in ("plan", "replications", "mean", "eliminated at", "chosen"):
        table.add_column(col, justify="left" if col == "plan" else "right")
    frame = choice.table()
    for _, r in frame.iterrows():
        gone = "" if pd.isna(r["eliminated_at"]) else f"stage {r['eliminated_at']}"
        table.add_row(r["plan"], str(r["replications"]), f"{r['mean']:.4g}", gone, "[green]yes[/]" if r["chosen"] else "")
    console.print(table)
    note = " (stopped by --max-reps: the best mean so far)" if choice.selection.stopped_by_budget else ""
    console.print(f"best plan: [bold]{choice.best}[/]{note}; {choice.selection.total} replications in all")
    if out is not None:
        with new_folder(out) as tmp:
            write_table(frame, tmp / "selection.csv")
        console.print(f"wrote {out}/selection.csv")


def _write_report(folder: Path) -> None:
    from sim.report import RunFolderError, build_report  # matplotlib loads only when a report is asked for

    try:
        html = build_report(folder)
    except RunFolderError as exc:
        fail(str(exc))
    console.print(f"wrote {html} and {html.with_name('results.xlsx')}")


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="run folder written by chartsim run or chartsim staff")]) -> None:
    """Write report.html and results.xlsx into a run folder (never re-runs the simulation)."""
    _write_report(run_dir)


def main() -> None:
    """Entry point: option errors, like scenario errors, are one line and exit status 2."""
    try:
        code = app(prog_name="chartsim", standalone_mode=False)
    except TyperException as exc:  # typer's (vendored click's) usage errors
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # an empty one follows the help text, already shown
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "chartsim"
            err.print(f"[bold red]error:[/] {where}: {message} (see {where} --help)", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
