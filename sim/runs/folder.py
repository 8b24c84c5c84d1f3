"""One call from a scenario to a written run folder: claim, checkpoint, resume, precision, write.

:func:`run_to_folder` is what ``chartsim run`` does without the terminal, for
the page and notebooks alike::

    import sim
    results = sim.run_to_folder(sim.load_scenario("baseline"), "runs/baseline", reps=200, seed=7)

The folder is claimed before anything is simulated (``OUT.partial``), each
finished task is checkpointed there, Ctrl-C keeps it to be resumed
(``resume=OUT.partial``), and only a complete run is renamed to ``out``.
:func:`claim_run` and :meth:`ClaimedRun.run` are the same call in two steps,
for a caller that shows progress or says where an interrupted run was kept.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sim.runs.chart_files import ChartFiles
from sim.runs.checkpoint import CHECKPOINT, Checkpoint, load_checkpoint
from sim.runs.executor import Submitter
from sim.runs.folders import Claim, claim, reclaim
from sim.runs.registry import run_metrics, scenario_metrics
from sim.runs.runner import Results, run, run_to_precision
from sim.runs.tasks import Chunk
from sim.runs.write import write_tables
from sim.scenario.config import Scenario
from sim.stats.precision import PrecisionPlan

CHART_ROWS = 2_000_000  # above this many expected chart rows, per-chart tables only when asked for
DEFAULT_REPS = 100


class RunRefused(Exception):
    """Settings a run folder cannot be made with; the message is one line for the user."""


class ClaimedRun:
    """A run whose folder is claimed and whose settings are fixed, not yet simulated.

    Use it as a context manager around :meth:`run`: leaving it renames the
    folder to ``out`` when the run is complete, keeps ``OUT.partial`` after
    Ctrl-C (to resume) and removes it after any other failure.
    """

    def __init__(self, claimed: Claim, settings: dict, resumed: list[Chunk], charts_dropped: bool, rows: float) -> None:
        self.claim = claimed
        self.settings = settings
        self.resumed = resumed
        self.charts_dropped = charts_dropped  # per-chart tables left out by default, the run being too big
        self.rows = rows  # chart rows the run is expected to produce

    @property
    def out(self) -> Path:
        """The run folder, once complete."""
        return Path(self.settings["out"])

    @property
    def folder(self) -> Path:
        """Where the run is written meanwhile (``OUT.partial``), kept there if interrupted."""
        return self.claim.folder

    def __enter__(self) -> ClaimedRun:
        self.claim.__enter__()
        return self

    @property
    def resumable(self) -> bool:
        """The folder holds a checkpoint to resume from (made as the first task is simulated)."""
        return (self.folder / CHECKPOINT / "settings.pkl").is_file()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt) and not self.resumable:
            self.claim.discard()  # stopped before its checkpoint (connecting to a cluster, say): nothing to resume
            return
        self.claim.__exit__(kind, exc, tb)
        if kind is None:  # the checkpoint goes only once the folder is ``out``: a stop before that is resumed
            shutil.rmtree(self.out / CHECKPOINT, ignore_errors=True)

    def run(
        self,
        workers: int = 1,
        executor: Submitter | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Results:
        """Simulate (the rest of) the run, checkpointing each task, and write its tables into :attr:`folder`."""
        s = self.settings
        stream = ChartFiles(self.folder, s["charts_format"], per_chart=s["charts"])  # big tables to disk, task by task
        checkpoint = Checkpoint(self.folder, s, stream)
        common = dict(seed=s["seed"], workers=workers, executor=executor, keep_charts=False, sink=checkpoint,
                      resume=self.resumed or None, streams=s["streams"], progress=progress)
        if s["plan"] is None:
            results = run(s["scenario"], reps=s["reps"], **common)
        else:
            results = run_to_precision(s["scenario"], s["plan"], metrics=s["metrics"], **common)
        write_tables(results, self.folder)
        return results


def claim_run(
    scenario: Scenario,
    out: Path | str | None = None,
    *,
    reps: int | None = None,
    seed: int = 0,
    charts: bool | None = None,
    charts_format: str = "auto",
    plan: PrecisionPlan | None = None,
    metrics: list[str] | None = None,
    streams: str = "common",
    resume: Path | str | None = None,
    source: Path | str | None = None,
) -> ClaimedRun:
    """Check the settings and claim the run folder; nothing is simulated yet.

    ``out`` defaults to ``runs/NAME-TIME``. ``reps`` defaults to 100, or with
    a precision ``plan`` to the plan's first check. ``charts`` (the per-chart
    tables) defaults to on while the run expects at most ``CHART_ROWS`` chart
    rows; ``charts_format`` "auto" writes those as CSV up to that size and as
    Parquet above. ``metrics`` are the ones ``plan`` converges on (default:
    the headline metrics). ``resume``, an interrupted run's ``OUT.partial``,
    continues it with its own seed, replications, settings and ``out``: only
    ``scenario`` must match (``source``, its file, is named if it does not).
    Raises :class:`RunRefused`,
    :class:`~sim.runs.folders.OutputError` or
    :class:`~sim.runs.checkpoint.RunInterrupted`, each with a one-line message.
    """
    if charts_format not in ("auto", "csv", "parquet"):
        raise RunRefused(f"--charts-format must be auto, csv or parquet (got {charts_format!r})")
    if streams not in ("common", "independent"):
        raise RunRefused(f"--streams must be 'common' or 'independent' (got {streams!r})")
    resumed: list[Chunk] = []
    taken = None
    if resume is not None:
        taken = reclaim(Path(resume))  # before the checkpoint is read: its files are cut back to the last task
        try:
            saved, resumed = load_checkpoint(Path(resume))
            if saved["scenario"] != scenario:
                raise RunRefused(f"--resume: {source or scenario.name} is not the scenario of the interrupted run "
                                 f"in {resume} (changed since?)")
            seed, reps, streams, charts, out = (saved["seed"], saved["reps"], saved["streams"], saved["charts"],
                                                Path(saved["out"]))
            charts_format = saved.get("charts_format", "csv")
            plan, metrics = saved.get("plan"), saved.get("metrics")  # a --precision run goes on as it started
            if out.exists():
                raise RunRefused(f"--out: {out} already exists; choose a new folder")
        except BaseException:
            taken.release()
            raise
        taken.out = out
    chosen: list[str] = []
    if plan is not None:
        allowed = [m.name for m in run_metrics(scenario)]
        unknown = [m for m in metrics or [] if m not in allowed]
        if unknown:
            if taken is not None:
                taken.release()
            raise RunRefused(f"--metric: unknown metric {unknown[0]!r}; allowed: {', '.join(allowed)}")
        chosen = list(dict.fromkeys(metrics)) if metrics else [m.name for m in scenario_metrics(scenario) if m.headline]
    if out is None:
        out = Path("runs") / f"{scenario.name}-{datetime.now():%Y%m%d-%H%M%S}"
    rows = sum(scenario.expected_charts().values()) * (1 + len(scenario.expanded()))
    rows *= plan.max_reps if plan is not None else (reps if reps is not None else DEFAULT_REPS)
    if charts_format == "auto":
        charts_format = "csv" if rows <= CHART_ROWS else "parquet"
    dropped = charts is None and rows > CHART_ROWS
    if charts is None:  # per-chart tables by default only where they stay a manageable file
        charts = rows <= CHART_ROWS
    n_reps = reps if reps is not None else DEFAULT_REPS
    if taken is None:
        taken = claim(Path(out), True)
    settings = {"scenario": scenario, "seed": seed, "reps": n_reps, "streams": streams, "charts": charts,
                "charts_format": charts_format, "out": str(out), "plan": plan, "metrics": chosen}
    return ClaimedRun(taken, settings, resumed, dropped, rows)


def run_to_folder(
    scenario: Scenario,
    out: Path | str | None = None,
    *,
    workers: int = 1,
    executor: Submitter | None = None,
    progress: Callable[[int, int], None] | None = None,
    **settings,
) -> Results:
    """Run ``scenario`` into the new run folder ``out``, as ``chartsim run`` does; the settings are :func:`claim_run`'s."""
    job = claim_run(scenario, out, **settings)
    with job:
        return job.run(workers, executor, progress)
