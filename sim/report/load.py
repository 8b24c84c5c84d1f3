"""Reading a run folder back: the tables, the resolved scenario and the manifest.

A report is made from what a run wrote, never by running again. A folder that
lacks the scenario, the manifest or its results is refused with a one-line
:class:`RunFolderError`, so the command line can say what is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

TABLES = ("summary", "replications", "coder_days", "days", "charts", "activities", "comparison", "staffing")
NEEDED_COLUMNS = {
    "summary": {"variant", "metric", "n", "mean", "ci_low", "ci_high"},
    "coder_days": {"variant", "replication", "day", "coder", "charts_coded"},
    "days": {"variant", "replication", "day", "backlog"},
    "charts": {"variant", "replication", "chart_type", "arrived_at", "started_at", "coded_at", "coder"},
    "activities": {"variant", "replication", "coder", "day", "activity", "start", "minutes"},
    "comparison": {"variant", "metric", "difference", "ci_low", "ci_high"},
    "staffing": {"coders", "mean", "ci_low", "ci_high"},
}


class RunFolderError(ValueError):
    """A folder a report cannot be made from; the message is one line."""


@dataclass
class RunFolder:
    """One run folder, read: every table that exists, ``None`` for those that do not."""

    path: Path
    scenario: dict[str, Any]
    manifest: dict[str, Any]
    summary: pd.DataFrame | None = None
    replications: pd.DataFrame | None = None
    coder_days: pd.DataFrame | None = None
    days: pd.DataFrame | None = None
    charts: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None  # breaks and billing questions (runs since activities.csv)
    comparison: pd.DataFrame | None = None
    staffing: pd.DataFrame | None = None
    staffing_meta: dict[str, Any] | None = None  # staffing.json of a ``chartsim staff`` folder

    @property
    def name(self) -> str:
        return str(self.scenario.get("name") or self.manifest.get("scenario") or self.path.name)

    @property
    def variants(self) -> list[str]:
        """Variant names in the order they were run, the base first."""
        for table in (self.summary, self.coder_days):
            if table is not None and "variant" in table:
                return list(dict.fromkeys(table["variant"].astype(str)))
        return ["base"]


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise RunFolderError(f"{path}: cannot read {name} table ({type(exc).__name__})") from None
    missing = NEEDED_COLUMNS.get(name, set()) - set(frame.columns)
    if missing:
        raise RunFolderError(f"{path}: incomplete table, missing column {sorted(missing)[0]!r}")
    if "variant" in frame:
        frame["variant"] = frame["variant"].astype(str)
    return frame


def _read_mapping(path: Path, parse: Any) -> dict[str, Any]:
    try:
        data = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise RunFolderError(f"{path}: cannot read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a mapping of settings")
    return data


def load_run(path: str | Path) -> RunFolder:
    """Read the run folder at ``path``; raises :class:`RunFolderError` if it is missing or incomplete."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: not a run folder (no such directory)")
    staff = (folder / "staffing.csv").is_file()
    if not (folder / "scenario.yaml").is_file():
        raise RunFolderError(f"{folder}: incomplete run folder, scenario.yaml is missing")
    if not (folder / "manifest.json").is_file() and not (staff and (folder / "staffing.json").is_file()):
        raise RunFolderError(f"{folder}: incomplete run folder, manifest.json is missing")
    if not (folder / "summary.csv").is_file() and not staff:
        raise RunFolderError(f"{folder}: incomplete run folder, summary.csv is missing")
    run = RunFolder(
        path=folder,
        scenario=_read_mapping(folder / "scenario.yaml", yaml.safe_load),
        manifest=_read_mapping(folder / "manifest.json", json.loads) if (folder / "manifest.json").is_file() else {},
    )
    if staff and (folder / "staffing.json").is_file():
        run.staffing_meta = _read_mapping(folder / "staffing.json", json.loads)
        for key in ("seed", "replications", "scenario"):
            run.manifest.setdefault(key, run.staffing_meta.get(key))
    for name in TABLES:
        file = folder / f"{name}.csv"
        if file.is_file():
            setattr(run, name, _read_csv(file, name))
    return run
