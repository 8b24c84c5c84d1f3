"""The CSV files a scenario names for its starting state, read bounded and checked row by row.

``state.open_charts`` (the encoder's work queue or DNFB report), ``coders.leave``
(leave already booked) and ``arrivals.volume_forecast`` (expected charts per
day) are paths, relative to the scenario file that names them. Each is read
with the bounds of a scenario file (a regular file, at most
``sim.scenario.files.MAX_BYTES``, UTF-8) and turned into the rows the schema
holds (sim.scenario.state). A file that cannot be used is refused with one line
naming the file, the column and the offending lines with their count: a
chart type or coder the scenario lacks, a time after ``as_of``, a value that
is not a date or a number. Nothing is run.

Column names are mapped like ``chartsim fit --columns``: in the scenario,
``open_charts: {file: queue.csv, columns: {chart_id: Account, arrived_at: Discharged}}``.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario.files import YamlRefused, read_text
from sim.scenario.realism import iso_date
from sim.scenario.state import parse_stamp, seats, stamp_text

OPEN_REQUIRED = ("chart_id", "chart_type", "arrived_at")
OPEN_OPTIONAL = ("query_sent_at", "query_answered_at", "started_by", "expected_reimbursement")
SHOWN = 5  # offending lines named in a message


class StateFileError(ValueError):
    """A starting-state file that cannot be used; the message is one line naming the file."""


# ---------------------------------------------------------------- reading


def _text(path: Path) -> str:
    """A CSV file's text, read with the scenario files' own bounds (sim.scenario.files.read_text)."""
    try:
        return read_text(path, "csv")
    except YamlRefused as exc:
        raise StateFileError(str(exc)) from None


def _table(path: Path, required: tuple[str, ...], columns: dict[str, str]) -> pd.DataFrame:
    """The CSV as text columns, renamed by ``columns`` (name → the file's column), required ones present."""
    try:
        # index_col=False: a trailing comma on every row must not shift the columns; a value past the last
        # column would be dropped with a ParserWarning, so that is refused (an empty one, read as missing, is not).
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(_text(path)), dtype=str, skipinitialspace=True, keep_default_na=False,
                                na_values=[""], index_col=False).fillna("")
    except pd.errors.ParserWarning:
        raise StateFileError(f"{path}: a row has a value past the header's last column; remove it, or name its "
                             "column in the header (a trailing comma alone is fine)") from None
    except pd.errors.EmptyDataError:
        raise StateFileError(f"{path}: the file is empty; it needs a header line ({', '.join(required)})") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0]
        raise StateFileError(f"{path}: not a valid CSV ({first})") from None
    frame = frame.rename(columns=lambda c: str(c).strip())
    absent = [source for source in columns.values() if source not in frame.columns]
    if absent:
        raise StateFileError(f"{path}: columns maps to {', '.join(map(repr, absent))}, not in the file "
                             f"(its columns: {', '.join(map(str, frame.columns))})")
    frame = frame.rename(columns={source: name for name, source in columns.items()})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise StateFileError(f"{path}: missing column {', '.join(missing)} (the file has: "
                             f"{', '.join(map(str, frame.columns))}; map another with columns: {{{missing[0]}: NAME}})")
    frame = frame.apply(lambda s: s.str.strip())
    frame.index = range(2, 2 + len(frame))  # the file's line numbers (the header is line 1)
    return frame


def _refuse(path: Path, column: str, problem: str, bad: pd.Series, shown: pd.Series | None = None) -> None:
    """One line naming the file, the column and the offending lines with their count."""
    if not bad.any():
        return
    lines = bad[bad].index[:SHOWN]
    named = ", ".join(f"line {i}" + (f" ({shown[i]!r})" if shown is not None else "") for i in lines)
    n = int(bad.sum())
    more = f", … {n - len(lines)} more" if n > len(lines) else ""
    raise StateFileError(f"{path}: column {column}: {problem} in {n} {'row' if n == 1 else 'rows'}: {named}{more}")


def _stamps(path: Path, frame: pd.DataFrame, column: str, optional: bool = False) -> pd.Series:
    """A column of timestamps as normalised text ('' where empty and allowed)."""
    text = frame[column]
    empty = text == ""
    _refuse(path, column, "empty", empty & (not optional))

    def norm(v: str) -> str | None:
        try:
            return stamp_text(parse_stamp(v.replace("T", " ")))
        except ValueError:
            return None

    out = text.map(lambda v: "" if v == "" else norm(v))
    _refuse(path, column, "not a date and time (YYYY-MM-DD HH:MM)", out.isna(), text)
    return out


def _known(path: Path, column: str, values: pd.Series, allowed: list[str], what: str) -> None:
    bad = (values != "") & ~values.isin(allowed)
    listed = ", ".join(allowed[:10]) + (", …" if len(allowed) > 10 else "")
    _refuse(path, column, f"{what} the scenario lacks (it has: {listed})", bad, values)


# ---------------------------------------------------------------- the three files


def read_open_charts(
    path: Path, columns: dict[str, str], kinds: list[str], coders: list[str], as_of: str
) -> list[dict[str, Any]]:
    """The open-charts file as rows of sim.scenario.state.OpenChart, checked against the scenario."""
    frame = _table(path, OPEN_REQUIRED, columns)
    for column in ("chart_id", "chart_type"):
        _refuse(path, column, "empty", frame[column] == "")
    dup = frame["chart_id"].duplicated()
    _refuse(path, "chart_id", "an id given on an earlier line", dup, frame["chart_id"])
    _known(path, "chart_type", frame["chart_type"], kinds, "a chart type")
    moment = parse_stamp(as_of)
    out = pd.DataFrame({"chart_id": frame["chart_id"], "chart_type": frame["chart_type"]})
    for column in ("arrived_at", "query_sent_at", "query_answered_at"):
        if column not in frame.columns:
            continue
        text = _stamps(path, frame, column, optional=column != "arrived_at")
        late = text.map(lambda v: v != "" and parse_stamp(v) > moment)
        _refuse(path, column, f"after as_of ({as_of})", late, frame[column])
        out[column] = text.replace("", None)
    if "query_sent_at" in out:
        early = out["query_sent_at"].notna() & (out["query_sent_at"].fillna("") < out["arrived_at"])
        _refuse(path, "query_sent_at", "before the chart's arrived_at", early, frame["query_sent_at"])
    if "query_answered_at" in out:
        sent = out["query_sent_at"] if "query_sent_at" in out else pd.Series(None, index=out.index)
        bad = out["query_answered_at"].notna() & (sent.isna() | (out["query_answered_at"].fillna("") < sent.fillna("")))
        _refuse(path, "query_answered_at", "without a query_sent_at before it", bad, frame["query_answered_at"])
    if "started_by" in frame.columns:
        _known(path, "started_by", frame["started_by"], coders, "a coder (team.place, or a name in names)")
        both = (frame["started_by"] != "") & ("query_sent_at" in out and out["query_sent_at"].notna())
        _refuse(path, "started_by", "on hold (query_sent_at) and in a coder's hands at once (give one)", both)
        out["started_by"] = frame["started_by"].replace("", None)
    if "expected_reimbursement" in frame.columns:
        text = frame["expected_reimbursement"]
        dollars = pd.to_numeric(text.replace("", None), errors="coerce")
        bad = (text != "") & ~(dollars.between(0, 10_000_000))
        _refuse(path, "expected_reimbursement", "not a number of dollars between 0 and 10000000", bad, text)
        out["expected_reimbursement"] = dollars.astype(object).where(dollars.notna(), None)
    rows = out.to_dict("records")
    return [{k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
            for row in rows]


def read_leave(path: Path, coders: list[str]) -> list[dict[str, Any]]:
    """The leave file (``coder, from, to``, or ``team, seat, from, to``) as rows of sim.scenario.state.Leave."""
    text = _text(path)  # read once, so a team/seat file is told apart by its header
    header = text.splitlines()[0] if text else ""
    names = {c.strip() for c in header.split(",")}
    required = ("team", "seat", "from", "to") if "coder" not in names and {"team", "seat"} <= names else (
        "coder", "from", "to")
    frame = _table(path, required, {})
    if "coder" not in required:
        frame["coder"] = frame["team"] + "." + frame["seat"]
    _refuse(path, "coder", "empty", frame["coder"].isin(["", "."]))
    _known(path, "coder", frame["coder"], coders, "a coder (team.place, or a name in names)")
    out = {"coder": frame["coder"]}
    for column, name in (("from", "first_day"), ("to", "last_day")):
        value = frame[column]

        def ok(v: str) -> bool:
            try:
                iso_date(v)
                return True
            except ValueError:
                return False

        _refuse(path, column, "not a date (YYYY-MM-DD)", ~value.map(ok), value)
        out[name] = value
    reversed_ = out["last_day"] < out["first_day"]
    _refuse(path, "to", "before from", reversed_, frame["to"])
    return pd.DataFrame(out).to_dict("records")


def read_volume(path: Path, kinds: list[str]) -> list[dict[str, Any]]:
    """The volume forecast (``date, chart_type, expected``) as rows of sim.scenario.state.DayVolume."""
    frame = _table(path, ("date", "chart_type", "expected"), {})
    _known(path, "chart_type", frame["chart_type"], kinds, "a chart type")

    def ok(v: str) -> bool:
        try:
            iso_date(v)
            return True
        except ValueError:
            return False

    _refuse(path, "date", "not a date (YYYY-MM-DD)", ~frame["date"].map(ok), frame["date"])
    expected = pd.to_numeric(frame["expected"], errors="coerce")
    _refuse(path, "expected", "not a number of charts between 0 and 1000000",
            ~expected.between(0, 1_000_000), frame["expected"])
    dup = frame.duplicated(["date", "chart_type"])
    _refuse(path, "date", "a date and chart type given on an earlier line", dup, frame["date"])
    return [{"date": d, "chart_type": k, "expected": float(e)}
            for d, k, e in zip(frame["date"], frame["chart_type"], expected)]


# ---------------------------------------------------------------- in a scenario's data

def start_changes(open_charts: Path | None, as_of: str | None, columns: str | None = None, leave: Path | None = None,
                  volume_forecast: Path | None = None, backlog_below: int | None = None,
                  dnfb_days_above: float | None = None) -> dict[str, Any]:
    """A starting state given beside a scenario (the command line, the page) as its settings by dotted path.

    An open-charts file or an ``as_of`` makes the state the starting queue: the
    scenario's drawn queue and its warm-up are set aside. StateFileError if malformed.
    """
    changes: dict[str, Any] = {}
    if columns is not None and open_charts is None:
        raise StateFileError("--columns needs --open-charts")
    if open_charts is not None:
        changes["state.open_charts"] = {"file": str(open_charts), "columns": column_map(columns)}
    if open_charts is not None or as_of is not None:
        changes.update({"arrivals.backlog": None, "arrivals.at_login_per_coder": None, "warmup_days": 0})
    for path, value in (("state.as_of", as_of), ("coders.leave", str(leave) if leave else None),
                        ("arrivals.volume_forecast", str(volume_forecast) if volume_forecast else None),
                        ("state.answers.backlog_below", backlog_below),
                        ("state.answers.dnfb_days_above", dnfb_days_above)):
        if value is not None:
            changes[path] = value
    return changes


def column_map(text: str | None, option: str = "--columns") -> dict[str, str]:
    """``chart_id=Account,arrived_at=Discharged`` → {open-chart column: the file's column}; StateFileError if malformed."""
    mapping: dict[str, str] = {}
    for part in text.split(",") if text and text.strip() else []:
        name, sep, source = (s.strip() for s in part.partition("="))
        if not sep or not name or not source:
            raise StateFileError(f"{option}: expected NAME=COLUMN pairs separated by commas (got {part.strip()!r})")
        mapping[name] = source
    return mapping


def _roster(data: dict[str, Any]) -> list[str]:
    """Every coder's team.place from the raw scenario data (a count left out is the schema's default, 1)."""
    coders = data.get("coders") if isinstance(data.get("coders"), dict) else {}
    counts: dict[str, int] = {"coders": coders.get("count", 1) if isinstance(coders.get("count", 1), int) else 0}
    teams = coders.get("teams") if isinstance(coders.get("teams"), dict) else {}
    names: list[str] = [str(n) for n in coders.get("names") or [] if isinstance(n, str)] if isinstance(
        coders.get("names"), list) else []
    for name, team in teams.items():
        count = team.get("count", 1) if isinstance(team, dict) else 0
        counts[str(name)] = count if isinstance(count, int) else 0
        if isinstance(team, dict) and isinstance(team.get("names"), list):
            names += [str(n) for n in team["names"] if isinstance(n, str)]
    return seats({k: max(0, min(v, 10_000)) for k, v in counts.items()}) + names


def read_state_files(data: Any) -> Any:
    """Scenario data with each file path replaced by the rows read from it; raises StateFileError."""
    if not isinstance(data, dict):
        return data
    kinds = [str(k) for k in data["chart_types"]] if isinstance(data.get("chart_types"), dict) else []
    state = data.get("state")
    if isinstance(state, dict) and isinstance(state.get("open_charts"), str | dict):
        spec = state["open_charts"]
        path, columns = (spec, {}) if isinstance(spec, str) else (spec.get("file"), spec.get("columns") or {})
        if not isinstance(path, str) or not isinstance(columns, dict) or (
                isinstance(spec, dict) and set(spec) - {"file", "columns"}):
            raise StateFileError("state.open_charts: a CSV path, or {file: PATH, columns: {chart_id: COLUMN, …}}")
        unknown = [c for c in columns if c not in OPEN_REQUIRED + OPEN_OPTIONAL]
        if unknown:
            raise StateFileError(f"state.open_charts.columns: {unknown[0]!r} is not an open-chart column "
                                 f"(known: {', '.join(OPEN_REQUIRED + OPEN_OPTIONAL)})")
        as_of = stamp_text(state.get("as_of"))
        try:
            parse_stamp(as_of)
        except ValueError as exc:
            raise StateFileError(f"state.as_of: {exc}") from None
        rows = read_open_charts(Path(path), {k: str(v) for k, v in columns.items()}, kinds, _roster(data), as_of)
        data = {**data, "state": {**state, "open_charts": rows}}
    coders = data.get("coders")
    if isinstance(coders, dict) and isinstance(coders.get("leave"), str):
        data = {**data, "coders": {**coders, "leave": read_leave(Path(coders["leave"]), _roster(data))}}
    arrivals = data.get("arrivals")
    if isinstance(arrivals, dict) and isinstance(arrivals.get("volume_forecast"), str):
        rows = read_volume(Path(arrivals["volume_forecast"]), kinds)
        data = {**data, "arrivals": {**arrivals, "volume_forecast": rows}}
    return data


def with_changes(data: Any, changes: dict[str, Any]) -> Any:
    """Raw scenario data with command-line settings (``state.as_of``, ``coders.leave``, …) set by dotted path."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for path, value in changes.items():
        keys = path.split(".")
        node = out
        for key in keys[:-1]:
            node[key] = dict(node[key]) if isinstance(node.get(key), dict) else {}
            node = node[key]
        node[keys[-1]] = value
    return out


# ---------------------------------------------------------------- in a run folder

RUN_FILES = {("state", "open_charts"): "open_charts.csv", ("coders", "leave"): "leave.csv",
             ("arrivals", "volume_forecast"): "volume_forecast.csv"}
_FILE_COLUMNS = {"leave.csv": {"coder": "coder", "first_day": "from", "last_day": "to"}}


def externalise(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Scenario data (as dumped) with its starting-state rows written as CSV files into ``folder``, named by path.

    A run folder's ``scenario.yaml`` stays small and readable, and loading it
    reads the files back (they sit beside it), so the folder still describes itself.
    """
    out = dict(data)
    for (section, key), name in RUN_FILES.items():
        node = out.get(section)
        if not isinstance(node, dict) or not node.get(key):
            continue
        frame = pd.DataFrame(node[key])
        frame = frame.rename(columns=_FILE_COLUMNS.get(name, {}))
        frame = frame.dropna(axis=1, how="all")
        frame.to_csv(Path(folder) / name, index=False)
        out[section] = {**node, key: name}
    return out
