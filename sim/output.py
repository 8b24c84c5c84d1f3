"""Writing a run folder: raw tables, summary, resolved scenario and manifest.

A run folder describes itself: the scenario as it was resolved sits beside
its results, so a report can be made later without re-running anything.
Files are written into a temporary folder that is renamed into place only
when complete, so a failed run never leaves a half-written folder behind.
The folder is claimed before anything is simulated (sim.folders).
"""

from __future__ import annotations

import json
import pickle
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from sim import chart_files
from sim.analysis import quantile_intervals, warmup_table
from sim.chart_files import ChartFiles
from sim.chunk import Chunk
from sim.folders import Claim, claim, new_folder, reclaim
from sim.runner import PILOT_REPS, Results
from sim.scenario import Scenario


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    out = {"python": platform.python_version()}
    for pkg in ("chartsim", "simpy", "numpy", "pandas", "scipy", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def manifest(results: Results) -> dict:
    return {
        "scenario": results.scenario.name,
        "seed": results.seed,
        "replications": results.reps,
        "workers": results.workers,
        "warmup_days": results.warmup,
        "warmup_method": (f"MSER-5 on the mean daily backlog of the base's first {PILOT_REPS} replications"
                          if results.scenario.warmup_days == "auto" else "set"),
        "streams": results.streams,
        "variants": list(results.variants),
        "random_generator": "numpy PCG64, one stream per (seed, replication, process name), state = BLAKE2b of the three",
        "versions": versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "wall_seconds": round(results.wall_seconds, 3),
    }


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV, floats at full precision (round-trip exact), NaN as an empty field.

    Each float is its shortest text that reads back to the same float (a
    minute time on day 3000 keeps its seconds); rounding happens on screen,
    in the report and in the workbook, never in the data. Rendered by
    pyarrow, as the per-chart tables are: several times faster than pandas
    on a table of 20,000 replications.
    """
    chart_files.write_csv(frame, path)


def write_scenario(scenario: Scenario, path: Path) -> None:
    """The scenario as resolved, so a folder describes itself (sections added later and left off are not written)."""
    unset = {k for k in ("outsourcing", "costs", "levers") if not getattr(scenario, k)}
    data = scenario.model_dump(mode="json", exclude=unset)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_tables(results: Results, folder: Path) -> None:
    """Write every table of ``results`` into an existing folder (per-chart tables if kept)."""
    tables = {
        "days": results.days,
        "replications": results.replications,
        "summary": results.summary,
        "comparison": None if results.comparison.empty else results.comparison,
        "warmup": warmup_table(results.days, results.warmup),
        "percentiles": None if results.coder_day_quantiles is None else quantile_intervals(results.coder_day_quantiles),
        "precision": results.precision,
    }
    for name, frame in tables.items():
        if frame is not None:
            write_table(frame, folder / f"{name}.csv")
    for name, frame in (("charts", results.charts), ("activities", results.activities),
                        ("coder_days", results.coder_days)):
        if frame is not None:  # kept in memory: the same bytes as when streamed (sim.chart_files)
            chart_files.write_csv(frame, folder / f"{name}.csv")
    write_scenario(results.scenario, folder / "scenario.yaml")
    (folder / "manifest.json").write_text(json.dumps(manifest(results), indent=2) + "\n")


def write_run(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the new folder ``out``."""
    with new_folder(out) as tmp:
        write_tables(results, tmp)
    return Path(out)


# ------------------------------------------------------------------ interrupted runs

CHECKPOINT = ".checkpoint"  # inside a partial run folder: the run's settings, finished tasks, journal


class RunInterrupted(Exception):
    """A partial run folder that cannot be resumed; the message is one line for the user."""


def resumable_folder(out: Path, partial: Path | None = None) -> Claim:
    """``OUT.partial`` while a run goes, renamed to ``out`` when complete.

    Interrupted (Ctrl-C), the partial folder stays, to be resumed; any other
    failure removes it, so no half-written folder is ever left as a result.
    A ``partial`` given (``--resume``) is taken over and kept whatever happens.
    """
    if partial is None:
        return claim(out, resumable=True)
    taken = reclaim(partial)
    taken.out = Path(out)
    return taken


class Checkpoint:
    """Makes a run resumable: after each finished task its small tables are saved beside the per-chart text.

    A journal line, written last, records the task and the size of each
    per-chart file after it; resuming trusts only journalled tasks and cuts
    the files back to the last line's sizes, so a task interrupted half-way
    is simply done again.
    """

    def __init__(self, folder: Path, settings: dict, stream: ChartFiles | None) -> None:
        self.folder = Path(folder)
        self.stream = stream
        self.render = stream.render if stream is not None else None
        self.dir = self.folder / CHECKPOINT
        self.dir.mkdir(exist_ok=True)
        settings_file = self.dir / "settings.pkl"
        if not settings_file.exists():
            _write_atomic(settings_file, pickle.dumps(settings))
        self.journal = self.dir / "journal.jsonl"
        self.count = len(self.journal.read_text().splitlines()) if self.journal.exists() else 0

    def __call__(self, chunk: Chunk) -> None:
        if self.stream is not None:
            self.stream(chunk)
        small = Chunk(chunk.variant, chunk.reps, chunk.replications, chunk.days, chunk.coder_days, warmup=chunk.warmup,
                      quantiles=chunk.quantiles)
        name = f"{self.count:06d}.pkl"
        _write_atomic(self.dir / name, pickle.dumps(small))
        sizes = self.stream.sizes() if self.stream is not None else {}
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(json.dumps({"task": name, "variant": chunk.variant, "reps": [chunk.reps.start, chunk.reps.stop],
                                "sizes": sizes}) + "\n")
        self.count += 1


def load_checkpoint(partial: Path) -> tuple[dict, list[Chunk]]:
    """The settings and finished tasks of an interrupted run; per-chart files cut back to the last task."""
    partial = Path(partial)
    where = partial / CHECKPOINT
    try:
        settings = pickle.loads((where / "settings.pkl").read_bytes())
        lines = (where / "journal.jsonl").read_text().splitlines() if (where / "journal.jsonl").exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        chunks = [pickle.loads((where / e["task"]).read_bytes()) for e in entries]
    except FileNotFoundError as exc:
        raise RunInterrupted(f"--resume: {partial} is not an interrupted chartsim run ({Path(exc.filename).name} "
                             "missing)") from None
    except (pickle.UnpicklingError, json.JSONDecodeError, EOFError, KeyError, AttributeError) as exc:
        raise RunInterrupted(f"--resume: {partial}: its checkpoint cannot be read ({type(exc).__name__})") from None
    ChartFiles(partial, settings.get("charts_format", "csv"), settings.get("charts", False)).cut(
        entries[-1]["sizes"] if entries else {})
    return settings, chunks


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
