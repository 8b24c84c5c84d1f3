"""Reading a run folder back: the tables, the resolved scenario and the manifest.

A report is made from what a run wrote, never by running again. A folder that
lacks the scenario, the manifest or its results, or holds one of them damaged
(a truncated table, text where numbers belong, a manifest that is not the
mapping a run writes, a scenario that no longer validates), is refused with a
one-line :class:`RunFolderError` naming the file and what is wrong, so the
command line can say so instead of failing halfway through a figure.

The small tables are read at once. The big ones (``coder_days``, and the
per-chart ``charts`` and ``activities``, CSV files or Parquet folders) are
checked for their columns at once but read only when asked for, and then only
the columns or the replication asked for (:mod:`sim.report.read`): a report
of a million-chart run reads three columns of ``charts.csv`` and the first
replication of the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import sim.report.read as read

TABLES = ("summary", "replications", "coder_days", "days", "charts", "activities", "comparison", "staffing",
          "turnaround")
BIG = ("coder_days", "charts", "activities")  # read on demand
PER_CHART = ("charts", "activities")  # name.csv, or name.parquet/ (a folder of part files)
NEEDED_COLUMNS = {
    "summary": {"variant", "metric", "n", "mean", "ci_low", "ci_high"},
    "coder_days": {"variant", "replication", "day", "coder", "charts_coded"},
    "days": {"variant", "replication", "day", "backlog"},
    "charts": {"variant", "replication", "chart_type", "arrived_at", "started_at", "coded_at", "coder"},
    "activities": {"variant", "replication", "coder", "day", "activity", "start", "minutes"},
    "comparison": {"variant", "metric", "difference", "ci_low", "ci_high"},
    "staffing": {"coders", "mean", "ci_low", "ci_high"},
    "turnaround": {"variant", "status", "from_minutes", "to_minutes", "charts"},
}
TEXT_COLUMNS = read.TEXT
# Yes/no columns that may be empty (not decided yet): read as pandas booleans with NA, never as mixed text.
FLAG_COLUMNS = {"error", "to_audit", "caught_by_audit", "outsourced", "vendor_error"}
# Columns the report computes with, besides the needed ones, where a table has them.
NUMBER_COLUMNS = {
    "summary": {"sd", "p5", "p25", "p50", "p75", "p95"},
    "coder_days": {"queries_sent", "queries_answered", "interruptions"},
    "days": {"arrived", "coded", "on_hold"},
    "charts": {"chart_id", "query_sent_at", "query_answered_at", "resumed_at", "started_by"},
    "activities": {"arrived_at"},
    "comparison": {"base_mean", "variant_mean", "confidence", "p_value", "p_value_adjusted"},
    "staffing": {"total_coders", "ci_level", "p_met", "p_met_low", "p_met_high"},
}
NUMBER_PREFIXES = ("coded_", "backlog_")  # per chart type: coded_inpatient, backlog_surgical
NUMBER_SUFFIXES = ("_minutes",)
MISSING = ["", "nan", "NaN", "-nan", "NA", "<NA>", "N/A", "n/a", "#N/A", "None", "null", "NULL"]  # in a number column

# What a run's manifest.json and a staffing search's staffing.json hold: key → (types, required).
# Only the keys the report reads are checked; others are left alone, so newer folders still report.
Spec = dict[str, tuple[tuple[type, ...], bool]]
INTEGER, NUMBER, TEXT, MAPPING, LIST, NONE = (int,), (int, float), (str,), (dict,), (list,), (type(None),)
MANIFEST: Spec = {
    "scenario": (TEXT, True),
    "seed": (INTEGER, True),
    "replications": (INTEGER, True),
    "warmup_days": (INTEGER, True),
    "variants": (LIST, True),
    "workers": (INTEGER, False),
    "warmup_method": (TEXT, False),
    "streams": (TEXT, False),
    "random_generator": (TEXT, False),
    "versions": (MAPPING, False),
    "machine": (MAPPING, False),
    "wall_seconds": (NUMBER, False),
}
STAFFING: Spec = {  # the first searches wrote little more than the target
    "target": (TEXT, True),
    "scenario": (TEXT, False),
    "seed": (INTEGER, False),
    "replications": (INTEGER, False),
    "coder_range": (LIST, False),
    "rule_text": (TEXT, False),
    "ci_text": (TEXT, False),
    "ci_level_two_sided": (NUMBER + NONE, False),
    "fixed_teams": (MAPPING + NONE, False),
    "answer": (INTEGER + NONE, False),
    "answer_headcount": (TEXT + INTEGER + NONE, False),
    "shortfall": (MAPPING + NONE, False),
    "notes": (LIST, False),
}


class RunFolderError(ValueError):
    """A folder a report cannot be made from; the message is one line."""


@dataclass
class RunFolder:
    """One run folder, read: every small table that exists, ``None`` for those that do not.

    The big tables are properties read in full on first use (and kept);
    :meth:`columns` and :meth:`replication` read only a part of one.
    """

    path: Path
    scenario: dict[str, Any]
    manifest: dict[str, Any]
    summary: pd.DataFrame | None = None
    replications: pd.DataFrame | None = None
    days: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    staffing: pd.DataFrame | None = None
    turnaround: pd.DataFrame | None = None  # coded charts by turnaround bin (runs since turnaround.csv)
    staffing_meta: dict[str, Any] | None = None  # staffing.json of a ``chartsim staff`` folder
    files: dict[str, Path] = field(default_factory=dict)  # the big tables the folder has: name → file or folder
    read_rows: dict[str, int] = field(default_factory=dict)  # rows of each big table, read or counted (for the report)
    _whole: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return str(self.scenario.get("name") or self.manifest.get("scenario") or self.path.name)

    @property
    def variants(self) -> list[str]:
        """Variant names in the order they were run, the base first."""
        for table in (self.summary, self.days, self.replications):
            if table is not None and "variant" in table:
                return list(dict.fromkeys(table["variant"].astype(str)))
        if "coder_days" in self.files:
            return list(dict.fromkeys(self.columns("coder_days", ["variant"])["variant"]))
        return ["base"]

    @property
    def coder_days(self) -> pd.DataFrame | None:
        return self.whole("coder_days")

    @property
    def charts(self) -> pd.DataFrame | None:
        return self.whole("charts")

    @property
    def activities(self) -> pd.DataFrame | None:
        """Breaks and billing questions (runs since activities.csv)."""
        return self.whole("activities")

    def whole(self, name: str) -> pd.DataFrame | None:
        """A big table, every column and row (read once); ``None`` when the folder lacks it."""
        if name not in self.files:
            return None
        if name not in self._whole:
            self._whole[name] = _as_text(_read_big(self.files[name], name))
            self.read_rows[name] = len(self._whole[name])
        return self._whole[name]

    def columns(self, name: str, columns: list[str]) -> pd.DataFrame | None:
        """Only ``columns`` of a big table (those it has), every row, names as categories; ``None`` if absent."""
        if name not in self.files:
            return None
        if name in self._whole:
            whole = self._whole[name]
            return whole[[c for c in columns if c in whole]]
        frame = _read_big(self.files[name], name, columns)
        self.read_rows[name] = len(frame)
        return frame

    def replication(self, name: str, variant: str, replication: int) -> pd.DataFrame | None:
        """The rows of one replication of one variant of a big table; ``None`` when the folder lacks it."""
        if name not in self.files:
            return None
        if name in self._whole:
            whole = self._whole[name]
            return whole.loc[(whole["variant"] == variant) & (whole["replication"] == replication)]
        return _as_text(_read_big(self.files[name], name, where={"variant": variant, "replication": replication}))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Name columns as plain text, as pandas reads them (categories are for the column reads of big tables)."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(str)
    return frame


# ---------------------------------------------------------------- tables


def _numeric(name: str, column: str) -> bool:
    """Whether the report computes with ``column`` of the ``name`` table."""
    if column in TEXT_COLUMNS:
        return False
    return (column in NEEDED_COLUMNS.get(name, set()) or column in NUMBER_COLUMNS.get(name, set())
            or column.startswith(NUMBER_PREFIXES) or column.endswith(NUMBER_SUFFIXES))


def _check_numbers(frame: pd.DataFrame, path: Path, name: str) -> None:
    """Refuse a column the report computes with that holds text (a hand edit, a merge of two tables)."""
    for column in frame.columns:
        if not _numeric(name, str(column)) or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column]
        bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise RunFolderError(f"{path}: column {column!r} holds {str(values.iloc[row])[:40]!r} on data row "
                                 f"{row + 1}, where a number belongs")


def _read_csv(path: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One table with pandas; names read as written (a variant called ``NA``, ``#N/A`` or ``01`` stays that name)."""
    try:
        header = pd.read_csv(path, nrows=0).columns
        keep = list(header) if columns is None else [c for c in header if c in columns]
        text = [c for c in keep if c in TEXT_COLUMNS]
        na = {c: [""] if c in TEXT_COLUMNS else MISSING for c in keep}
        types = {**dict.fromkeys(text, str), **{c: "boolean" for c in keep if c in FLAG_COLUMNS}}
        frame = pd.read_csv(path, dtype=types, keep_default_na=False, na_values=na, usecols=keep)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError, TypeError) as exc:
        raise RunFolderError(f"{path}: cannot read {name} table ({type(exc).__name__})") from None
    _check_table(frame, path, name, columns)
    return frame


def _check_table(frame: pd.DataFrame, path: Path, name: str, columns: list[str] | None = None) -> None:
    missing = (NEEDED_COLUMNS.get(name, set()) & set(columns or NEEDED_COLUMNS.get(name, set()))) - set(frame.columns)
    if missing:
        raise RunFolderError(f"{path}: incomplete table, missing column {sorted(missing)[0]!r}")
    if name in ("summary", "staffing") and frame.empty:
        raise RunFolderError(f"{path}: the {name} table has a header but no rows")
    _check_numbers(frame, path, name)
    if "variant" in frame and not isinstance(frame["variant"].dtype, pd.CategoricalDtype):
        frame["variant"] = frame["variant"].astype(str)


def _read_small(path: Path, name: str) -> pd.DataFrame:
    """A small table: pyarrow where it reads the file as typed, else pandas (which names what is wrong)."""
    try:
        frame = _as_text(read.read_table(path, numbers=_numbers(path, name)))
    except read.Unreadable:
        return _read_csv(path, name)
    _check_table(frame, path, name)
    return frame


def _numbers(path: Path, name: str) -> set[str]:
    """The columns of ``path`` the report computes with, read as numbers."""
    try:
        return {c for c in read.header(path) if _numeric(name, c)}
    except read.Unreadable:
        return set()


def _read_big(path: Path, name: str, columns: list[str] | None = None,
              where: dict[str, object] | None = None) -> pd.DataFrame:
    """A big table, or only ``columns`` of it, or only the rows ``where`` says (see :mod:`sim.report.read`)."""
    numbers = _numbers(path, name)
    try:
        if where is not None:
            frame = read.read_rows(path, where, columns, numbers)
        else:
            frame = read.read_table(path, columns, numbers)
    except read.Unreadable as exc:
        if path.is_dir():
            raise RunFolderError(f"{path}: cannot read {name} table ({str(exc).splitlines()[0][:80]})") from None
        frame = _read_csv(path, name, columns)
        if where is not None:
            for column, value in where.items():
                frame = frame.loc[frame[column] == value]
        return frame
    _check_table(frame, path, name, columns)
    return frame


# ---------------------------------------------------------------- settings


def _read_mapping(path: Path, parse: Callable[[str], Any]) -> dict[str, Any]:
    try:
        data = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RunFolderError(f"{path}: cannot read ({_why(exc)})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a mapping of settings (got {_kind(data)})")
    return data


def _why(exc: BaseException) -> str:
    """What is wrong with a settings file that does not parse, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def _kind(value: object) -> str:
    """The JSON or YAML name of a value's type, for messages."""
    names = {bool: "true/false", int: "an integer", float: "a number", str: "text", dict: "a mapping",
             list: "a list", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _expected(types: Iterable[type]) -> str:
    wanted = [t for t in types if t is not type(None)]
    words = {int: "an integer", float: "a number", str: "text", dict: "a mapping", list: "a list"}
    text = " or ".join(dict.fromkeys(words[t] for t in wanted if not (t is int and float in wanted)))
    return text + (" or null" if type(None) in types else "")


def _check_keys(data: dict[str, Any], spec: Spec, path: Path) -> None:
    """Each key the report reads is there when required and of the type a run writes."""
    for key, (types, required) in spec.items():
        if key not in data:
            if required:
                raise RunFolderError(f"{path}: {key!r} is missing")
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, types):  # JSON true is no number
            raise RunFolderError(f"{path}: {key!r} should be {_expected(types)} (got {_kind(value)})")


def _check_manifest(data: dict[str, Any], path: Path) -> None:
    _check_keys(data, MANIFEST, path)
    for key, low in (("seed", 0), ("replications", 1), ("warmup_days", 0)):
        if data[key] < low:
            raise RunFolderError(f"{path}: {key!r} should be at least {low} (got {data[key]})")
    if not all(isinstance(v, str) for v in data["variants"]):
        raise RunFolderError(f"{path}: 'variants' should be a list of names")


def _check_staffing(data: dict[str, Any], path: Path) -> None:
    _check_keys(data, STAFFING, path)
    span = data.get("coder_range", [0, 0])
    if len(span) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) for n in span):
        raise RunFolderError(f"{path}: 'coder_range' should be two integers [low, high]")
    teams = data.get("fixed_teams") or {}
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in teams.values()):
        raise RunFolderError(f"{path}: 'fixed_teams' should map team names to coder counts")
    if not isinstance((data.get("shortfall") or {}).get("text", ""), str):
        raise RunFolderError(f"{path}: 'shortfall' should hold its explanation as text")


def _read_scenario(path: Path) -> dict[str, Any]:
    """The resolved scenario, read as ``chartsim run`` reads a scenario file (bounded, validated), as plain data.

    Validating it lets the report read its sections without guarding each one;
    reading it with the scenario reader keeps a hostile file (a YAML alias
    bomb, a huge or nested file, a pipe) from hanging the report.
    """
    from sim.scenario.config import load_scenario
    from sim.scenario.errors import ScenarioError
    from sim.scenario.state import unused_start_settings

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        message = " ".join(str(exc).split())  # one line
        raise RunFolderError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    return scenario.model_dump(mode="json", exclude=unused_start_settings(scenario))


# ---------------------------------------------------------------- the folder


def load_run(path: str | Path) -> RunFolder:
    """Read the run folder at ``path``; raises :class:`RunFolderError` if it is missing, incomplete or damaged."""
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
    scenario = _read_scenario(folder / "scenario.yaml")
    manifest: dict[str, Any] = {}
    if (folder / "manifest.json").is_file():
        manifest = _read_mapping(folder / "manifest.json", json.loads)
        _check_manifest(manifest, folder / "manifest.json")
    run = RunFolder(path=folder, scenario=scenario, manifest=manifest)
    if staff and (folder / "staffing.json").is_file():
        run.staffing_meta = _read_mapping(folder / "staffing.json", json.loads)
        _check_staffing(run.staffing_meta, folder / "staffing.json")
        for key in ("seed", "replications", "scenario"):
            run.manifest.setdefault(key, run.staffing_meta.get(key))
    for name in TABLES:
        file = folder / f"{name}.csv"
        if name in BIG:
            if name in PER_CHART and not file.is_file() and (folder / f"{name}.parquet").is_dir():
                file = folder / f"{name}.parquet"
            if file.exists():
                _check_header(file, name)
                run.files[name] = file
        elif file.is_file():
            setattr(run, name, _read_small(file, name))
    return run


def _check_header(path: Path, name: str) -> None:
    """A big table holds the columns the report needs (its rows are read when a figure needs them)."""
    try:
        names = read.header(path)
    except read.Unreadable:
        raise RunFolderError(f"{path}: cannot read {name} table (not a table)") from None
    if not names:
        raise RunFolderError(f"{path}: cannot read {name} table (empty file)")
    missing = NEEDED_COLUMNS.get(name, set()) - set(names)
    if missing:
        raise RunFolderError(f"{path}: incomplete table, missing column {sorted(missing)[0]!r}")
