"""Writing a run folder: raw tables, summary, resolved scenario and manifest.

A run folder describes itself: the scenario as it was resolved sits beside
its results, so a report can be made later without re-running anything.
Files are written into a temporary folder that is renamed into place only
when complete, so a failed run never leaves a half-written folder behind.
The folder is claimed before anything is simulated (sim.runs.folders).
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from sim.runs import chart_files
from sim.runs.folders import new_folder
from sim.runs.runner import PILOT_REPS, Results
from sim.scenario.config import Scenario
from sim.stats.quantiles import quantile_intervals
from sim.stats.summary import warmup_table


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
    from sim.scenario.state import unused_start_settings

    unset = {k: True for k in ("outsourcing", "costs", "levers") if not getattr(scenario, k)}
    data = scenario.model_dump(mode="json", exclude={**unset, **(unused_start_settings(scenario) or {})})
    if unused_start_settings(scenario) is None:  # the starting state's rows go to CSV files beside it
        from sim.scenario.state_files import externalise

        data = externalise(data, path.parent)
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
        "turnaround": results.turnaround,
    }
    for name, frame in tables.items():
        if name in results.rendered and results.rendered[name][0] is frame:  # rendered by the tasks: the same bytes
            (folder / f"{name}.csv").write_bytes(chart_files.csv_header(list(frame.columns)) + results.rendered[name][1])
        elif frame is not None:
            write_table(frame, folder / f"{name}.csv")
    for name, frame in (("charts", results.charts), ("activities", results.activities),
                        ("coder_days", results.coder_days)):
        if frame is not None:  # kept in memory: the same bytes as when streamed (sim.runs.chart_files)
            chart_files.write_csv(frame, folder / f"{name}.csv")
    if results.outlook is not None:  # a run from a starting state: the weeks ahead
        from sim.runs.answers import answers_table
        from sim.runs.outlook import forecast_table

        state = results.scenario.state
        write_table(forecast_table(results.outlook, state.as_of, results.scenario.revenue is not None),
                    folder / "forecast.csv")
        write_table(answers_table(results.outlook, results.scenario), folder / "answers.csv")
    write_scenario(results.scenario, folder / "scenario.yaml")
    (folder / "manifest.json").write_text(json.dumps(manifest(results), indent=2) + "\n")


def write_run(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the new folder ``out``."""
    with new_folder(out) as tmp:
        write_tables(results, tmp)
    return Path(out)
