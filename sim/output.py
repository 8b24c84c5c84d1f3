"""Writing a run folder: raw tables, summary, resolved scenario and manifest.

A run folder describes itself: the scenario as it was resolved sits beside
its results, so a report can be made later without re-running anything.
Files are written into a temporary folder that is renamed into place only
when complete, so a failed run never leaves a half-written folder behind.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from sim.analysis import percentile_intervals, warmup_table
from sim.chunk import Chunk
from sim.runner import PILOT_REPS, Results
from sim.scenario import Scenario

# None: pandas writes each float as Python's shortest repr, which reads back to the
# same float (a minute time on day 3000 keeps its seconds). Rounding happens on
# screen, in the report and in the workbook, never in the data.
FLOAT_FORMAT: str | None = None


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
        "random_generator": "numpy PCG64, one stream per (seed, replication, process name) via SeedSequence",
        "versions": versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "wall_seconds": round(results.wall_seconds, 3),
    }


@contextmanager
def new_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` that becomes ``out`` only when the block completes.

    A failed or interrupted write leaves nothing behind; ``out`` must be new.
    """
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out}: already exists; choose a new --out folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV, floats at full precision (round-trip exact), NaN as an empty field."""
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT)


def write_scenario(scenario: Scenario, path: Path) -> None:
    """The scenario as resolved, so a folder describes itself."""
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def write_tables(results: Results, folder: Path) -> None:
    """Write every table of ``results`` into an existing folder (per-chart tables if kept)."""
    tables = {
        "coder_days": results.coder_days,
        "days": results.days,
        "replications": results.replications,
        "summary": results.summary,
        "comparison": None if results.comparison.empty else results.comparison,
        "charts": results.charts,
        "activities": results.activities,
        "warmup": warmup_table(results.days, results.warmup),
        "percentiles": percentile_intervals(results.coder_days, warmup=results.warmup),
        "precision": results.precision,
    }
    for name, frame in tables.items():
        if frame is not None:
            write_table(frame, folder / f"{name}.csv")
    write_scenario(results.scenario, folder / "scenario.yaml")
    (folder / "manifest.json").write_text(json.dumps(manifest(results), indent=2) + "\n")


def write_run(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the new folder ``out``."""
    with new_folder(out) as tmp:
        write_tables(results, tmp)
    return Path(out)


class ChartStream:
    """The per-chart tables (charts.csv, activities.csv) appended task by task as a run goes.

    Given to ``sim.run`` as its ``sink``: each task renders its rows as CSV
    where it ran, and they are appended here in replication order and
    dropped, so no process ever holds every chart. The bytes equal those of
    writing the whole table at once (tested).
    """

    TABLES = ("charts", "activities")

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.started: set[str] = set()

    def __call__(self, chunk: Chunk) -> None:
        for name, (header, rows) in (chunk.csv or {}).items():
            with open(self.folder / f"{name}.csv", "a", encoding="utf-8", newline="") as f:
                if name not in self.started:
                    f.write(header)
                    self.started.add(name)
                f.write(rows)
