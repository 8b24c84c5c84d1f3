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
from importlib import metadata
from pathlib import Path

import yaml

from sim.analysis import percentile_intervals, warmup_table
from sim.runner import Results

FLOAT_FORMAT = "%.6g"


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
        "warmup_method": "MSER-5" if results.scenario.warmup_days == "auto" else "set",
        "streams": results.streams,
        "variants": list(results.variants),
        "random_generator": "numpy PCG64, one stream per (seed, replication, process name) via SeedSequence",
        "versions": versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "wall_seconds": round(results.wall_seconds, 3),
    }


def write_run(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the new folder ``out``."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out}: already exists; choose a new --out folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        results.coder_days.to_csv(tmp / "coder_days.csv", index=False, float_format=FLOAT_FORMAT)
        results.days.to_csv(tmp / "days.csv", index=False, float_format=FLOAT_FORMAT)
        results.replications.to_csv(tmp / "replications.csv", index=False, float_format=FLOAT_FORMAT)
        results.summary.to_csv(tmp / "summary.csv", index=False, float_format=FLOAT_FORMAT)
        if not results.comparison.empty:
            results.comparison.to_csv(tmp / "comparison.csv", index=False, float_format=FLOAT_FORMAT)
        if results.charts is not None:
            results.charts.to_csv(tmp / "charts.csv", index=False, float_format=FLOAT_FORMAT)
        warmup_table(results.days, results.warmup).to_csv(tmp / "warmup.csv", index=False, float_format=FLOAT_FORMAT)
        percentile_intervals(results.coder_days, warmup=results.warmup).to_csv(
            tmp / "percentiles.csv", index=False, float_format=FLOAT_FORMAT
        )
        if results.precision is not None:
            results.precision.to_csv(tmp / "precision.csv", index=False, float_format=FLOAT_FORMAT)
        scenario = results.scenario.model_dump(mode="json")
        (tmp / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True))
        (tmp / "manifest.json").write_text(json.dumps(manifest(results), indent=2) + "\n")
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
