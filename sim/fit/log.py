"""The coding productivity log: one row per coding session, read and checked.

A department's coding system (or its audit trail) records who opened which
chart when, and for how long: ``chart_id, chart_type, coder, started_at,
ended_at``, optionally ``discharged_at`` (the chart's arrival),
``query_sent_at``, ``query_answered_at`` and ``coder_level``. A chart may
have several sessions: its first review, and its completion after a query.

Timestamps are read as naive local time, or, when every one carries a zone
(``Z``, ``+01:00``), converted to one zone and then used as local time. A log
that cannot be trusted is refused with one line (:class:`LogError`) naming
the file, the problem, the first offending rows and their count: nothing is
fitted from a log with overlapping sessions or end times before start times.
Sessions longer than ``MAX_SESSION_HOURS`` (a chart left open overnight) are
dropped on purpose and counted.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from sim.fit import MIN_CHARTS
from sim.fit.logfile import LogFileError, open_log

REQUIRED = ("chart_id", "chart_type", "coder", "started_at", "ended_at")
OPTIONAL = ("discharged_at", "query_sent_at", "query_answered_at", "coder_level")
TIMES = ("started_at", "ended_at", "discharged_at", "query_sent_at", "query_answered_at")
MAX_SESSION_HOURS = 8.0
SHOWN = 5  # offending rows named in a message
NO_TIME = ("NA", "N/A", "n/a", "#N/A", "NaN", "nan", "NULL", "null", "None", "<NA>")  # pandas's words for no value

_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?!\d)")  # 03/02/2026, 3.2.26


class LogError(ValueError):
    """A log that cannot be fitted; the message is one line for the user."""


@dataclass(frozen=True)
class SessionLog:
    """A checked log: sessions in local time, and what was set aside."""

    path: Path
    sessions: pd.DataFrame  # canonical columns, naive datetimes, ``row`` = the file's row label
    long_sessions: int  # sessions over MAX_SESSION_HOURS, dropped
    zone: str  # how timestamps were read

    @property
    def first_day(self) -> date:
        return self.sessions["started_at"].min().date()

    @property
    def last_day(self) -> date:
        return self.sessions["ended_at"].max().date()

    @property
    def n_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def date_range(self) -> str:
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    def has(self, column: str) -> bool:
        return column in self.sessions.columns and self.sessions[column].notna().any()


def parse_columns(text: str | None) -> dict[str, str]:
    """``chart_id=Account,coder=User`` → {source column: canonical name}."""
    if not text:
        return {}
    known = REQUIRED + OPTIONAL
    out: dict[str, str] = {}
    for part in text.split(","):
        name, sep, source = (s.strip() for s in part.partition("="))
        if not sep or not name or not source:
            raise LogError(f"--columns: expected NAME=COLUMN pairs separated by commas (got {part.strip()!r})")
        if name not in known:
            raise LogError(f"--columns: {name!r} is not a log column (known: {', '.join(known)})")
        out[source] = name
    return out


@dataclass(frozen=True)
class DateForm:
    """How to read dates that are not ISO 8601: day first (03/02/2026 = 3 February), or one strftime format."""

    dayfirst: bool = False
    format: str | None = None

    def __post_init__(self) -> None:
        if self.dayfirst and self.format:
            raise LogError("--dayfirst and --date-format: give one (the format already says where the day is)")


def read_log(
    path: str | Path, columns: dict[str, str] | None = None, timezone: str | None = None, min_charts: int = MIN_CHARTS,
    dates: DateForm | None = None,
) -> SessionLog:
    """Read, rename, parse and check a CSV or Parquet log; raises LogError with one line."""
    path = Path(path)
    dates = dates or DateForm()
    raw, label, first = _read_table(path)
    raw = _renamed(raw, columns or {}, path)
    rows = pd.Series(range(first, first + len(raw)), index=raw.index)
    fail = _Reporter(path, rows, label)
    frame = raw[[c for c in REQUIRED + OPTIONAL if c in raw.columns]].copy()
    for col in ("chart_id", "chart_type", "coder", "coder_level"):
        if col in frame.columns:
            frame[col] = frame[col].astype("string").str.strip()
    for col in TIMES:  # "NA", "null" … in a timestamp column: no time, as a blank cell (names keep them)
        if col in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].mask(frame[col].astype("string").str.strip().isin(NO_TIME))
    for col in REQUIRED:
        empty = frame[col].isna() | (frame[col].astype("string").str.strip() == "")
        fail.where(empty, f"{int(empty.sum())} rows have no {col}")
    frame, zone = _parse_times(frame, timezone, fail, dates)
    frame["row"] = rows
    _check(frame, fail)
    _check_chart_ids(frame, path)
    hours = (frame["ended_at"] - frame["started_at"]) / pd.Timedelta(hours=1)
    long = hours > MAX_SESSION_HOURS
    frame = frame.loc[~long].reset_index(drop=True)
    _check_overlaps(frame, fail)
    if frame.empty:
        raise LogError(f"{path}: no sessions left (all over {MAX_SESSION_HOURS:g} hours)")
    log = SessionLog(path, frame, int(long.sum()), zone)
    if log.n_days < 2:
        raise LogError(f"{path}: the log covers one day ({log.first_day}); fitting needs at least two days, "
                       "better four weeks or more")
    _check_types(log, min_charts)
    return log


def _read_table(path: Path) -> tuple[pd.DataFrame, str, int]:
    """The raw table, the word for its rows and the number of its first data row."""
    try:
        with open_log(path) as stream:
            if path.suffix.lower() in (".parquet", ".pq"):
                return pd.read_parquet(io.BytesIO(stream.read())), "row", 1  # Parquet seeks: read whole, bounded
            # Names are read as written (a coder "NA", a type "null"): only an empty cell is missing. A trailing
            # comma on every row must not shift the columns (index_col=False); a value past the last column
            # would be dropped with a ParserWarning, so that is refused.
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return pd.read_csv(stream, dtype=str, skipinitialspace=True, keep_default_na=False, na_values=[""],
                                   index_col=False), "line", 2
    except LogFileError as exc:
        raise LogError(str(exc)) from None
    except pd.errors.ParserWarning:
        raise LogError(f"{path}: a row has a value past the header's last column; remove it, or name its column "
                       "in the header (a trailing comma alone is fine)") from None
    except pd.errors.EmptyDataError:
        raise LogError(f"{path}: the file is empty; a log needs a header and one row per coding session") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LogError(f"{path}: cannot read it as {'Parquet' if path.suffix.lower() in ('.parquet', '.pq') else 'CSV'}"
                       f" ({first})") from None


def _renamed(raw: pd.DataFrame, columns: dict[str, str], path: Path) -> pd.DataFrame:
    raw = raw.rename(columns=lambda c: str(c).strip())
    absent = [src for src in columns if src not in raw.columns]
    if absent:
        raise LogError(f"{path}: --columns names {', '.join(map(repr, absent))}, not in the file "
                       f"(its columns: {', '.join(map(str, raw.columns))})")
    raw = raw.rename(columns=columns)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise LogError(f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                       f"(the file has: {', '.join(map(str, raw.columns))}; map others with "
                       f"--columns {missing[0]}=YOUR_NAME)")
    if raw.empty:
        raise LogError(f"{path}: no sessions (a header only)")
    return raw


class _Reporter:
    """Raises the one-line message for a set of offending rows."""

    def __init__(self, path: Path, rows: pd.Series, label: str) -> None:
        self.path, self.rows, self.label = path, rows, label

    def where(self, bad: pd.Series, problem: str, detail: pd.Series | None = None) -> None:
        if not bad.any():
            return
        idx = bad[bad].index[:SHOWN]
        shown = [f"{self.label} {self.rows[i]}" + (f" ({detail[i]})" if detail is not None else "") for i in idx]
        more = f", … {int(bad.sum()) - len(idx)} more" if bad.sum() > len(idx) else ""
        raise LogError(f"{self.path}: {problem}: {', '.join(shown)}{more}")


def _parse_times(frame: pd.DataFrame, timezone: str | None, fail: _Reporter,
                 dates: DateForm) -> tuple[pd.DataFrame, str]:
    """Timestamps → naive local datetimes; zones converted to one, mixtures refused."""
    target = None
    if timezone:
        try:
            target = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise LogError(f"--timezone: unknown zone {timezone!r} (e.g. Europe/Berlin, America/Chicago)") from None
    cols = [c for c in TIMES if c in frame.columns]
    aware: dict[str, pd.Series] = {}
    offsets: Counter[str] = Counter()
    for col in cols:
        s = frame[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            aware[col] = s.notna()
            offsets[str(s.dt.tz)] += int(s.notna().sum())
        elif pd.api.types.is_datetime64_any_dtype(s):
            aware[col] = pd.Series(False, index=s.index)
        else:
            text = s.astype("string").str.strip()
            zone = text.str.extract(_ZONE, expand=False)
            aware[col] = zone.notna()
            offsets.update(zone.dropna().str.replace("Z", "+00:00").tolist())
    n_aware = sum(int(a.sum()) for a in aware.values())
    n_naive = sum(int((frame[c].notna() & ~aware[c]).sum()) for c in cols)
    if n_aware and n_naive:
        col = next(c for c in cols if (frame[c].notna() & ~aware[c]).any())
        bad = frame[col].notna() & ~aware[col]
        fail.where(bad, f"mixed time zones: {n_aware} timestamps carry a zone and {n_naive} do not; "
                        f"give every timestamp a zone, or none; {col} without a zone",
                   frame[col].astype("string"))
    out = frame.copy()
    for col in cols:
        out[col] = _to_local(frame[col], col, bool(n_aware), target, offsets, fail, dates)
    if dates.format:
        read_as = f"dates as {dates.format}; "
    elif dates.dayfirst:
        read_as = "numeric dates day first; "
    else:
        read_as = ""
    if not n_aware:
        zone = "naive local time" + (f" ({timezone})" if timezone else "")
    elif target is not None:
        zone = f"converted to {timezone}"
    elif re.fullmatch(r"[+-]\d{2}:?\d{2}", common := offsets.most_common(1)[0][0]):
        zone = f"converted to UTC{common}, the most common offset (--timezone for a named zone)"
    else:
        zone = f"converted to {common}, the log's own zone"
    return out, read_as + zone


def _to_local(s: pd.Series, col: str, aware: bool, target: ZoneInfo | None, offsets: Counter[str],
              fail: _Reporter, dates: DateForm) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
        parsed = s
    else:
        text = s.astype("string").str.strip().replace("", pd.NA)
        if dates.format:
            try:
                parsed = pd.to_datetime(text, errors="coerce", format=dates.format, utc=aware)
            except ValueError as exc:
                raise LogError(f"--date-format: cannot read {col} with {dates.format!r} ({exc})") from None
        else:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=aware)
            retry = parsed.isna() & text.notna()
            if retry.any():
                if not dates.dayfirst:
                    _refuse_ambiguous(text[retry], col, fail)
                parsed = parsed.astype(object)
                parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", dayfirst=dates.dayfirst,
                                               utc=aware)
                parsed = pd.to_datetime(parsed, utc=aware)
        bad = parsed.isna() & text.notna()
        hint = f"the format {dates.format}" if dates.format else "e.g. 2026-01-05 08:30 or 2026-01-05T08:30:00+01:00"
        fail.where(bad, f"{int(bad.sum())} unparseable {col} values (use {hint})", text)
    if aware:
        parsed = parsed.dt.tz_convert("UTC") if parsed.dt.tz is not None else parsed.dt.tz_localize("UTC")
        zone = target if target is not None else _fixed(offsets.most_common(1)[0][0])
        parsed = parsed.dt.tz_convert(zone).dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _refuse_ambiguous(text: pd.Series, col: str, fail: _Reporter) -> None:
    """Numeric dates (03/02/2026) are read only with --dayfirst or --date-format: never guessed row by row."""
    parts = text.str.extract(_NUMERIC_DATE).dropna()
    if parts.empty:
        return
    first, second = parts[0].astype(int), parts[1].astype(int)
    ambiguous = parts[(first <= 12) & (second <= 12)]
    shown = list((ambiguous if len(ambiguous) >= 2 else parts).index[:2])
    examples = " and ".join(f"{text[i]!r} ({fail.label} {fail.rows[i]})" for i in shown)
    if (first > 12).any() and not (second > 12).any():
        fits = "; every one of them fits day first only: add --dayfirst"
    elif (second > 12).any() and not (first > 12).any():
        fits = "; every one of them fits month first only: add --date-format '%m/%d/%Y %H:%M' (as they are written)"
    else:
        fits = "; add --dayfirst (day/month/year) or --date-format '%m/%d/%Y %H:%M' (month/day/year)"
    raise LogError(f"{fail.path}: column {col}: numeric dates such as {examples} can be read day first or month "
                   f"first{fits}")


def _fixed(offset: str):
    """'+01:00' (or a zone name from Parquet) → a tzinfo."""
    from datetime import timedelta
    from datetime import timezone as tz

    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", offset)
    if m is None:
        return ZoneInfo(offset) if offset != "UTC" else tz.utc
    sign = 1 if m[1] == "+" else -1
    return tz(sign * timedelta(hours=int(m[2]), minutes=int(m[3])))


def _fmt(t: pd.Series) -> pd.Series:
    return t.dt.strftime("%Y-%m-%d %H:%M")


def _check(frame: pd.DataFrame, fail: _Reporter) -> None:
    """Row-level problems: duplicates, reversed sessions, answers before their query."""
    key = [c for c in REQUIRED + OPTIONAL if c in frame.columns]
    dup = frame.duplicated(subset=key, keep="first")
    fail.where(dup, f"{int(dup.sum())} duplicate rows (the same session twice)",
               "same as an earlier row, chart " + frame["chart_id"].astype(str))
    reversed_ = frame["ended_at"] < frame["started_at"]
    fail.where(reversed_, f"{int(reversed_.sum())} sessions end before they start",
               "chart " + frame["chart_id"].astype(str) + ", " + _fmt(frame["started_at"]) + " → "
               + _fmt(frame["ended_at"]))
    if "query_sent_at" in frame.columns and "query_answered_at" in frame.columns:
        early = frame["query_answered_at"] < frame["query_sent_at"]
        fail.where(early, f"{int(early.sum())} queries answered before they were sent",
                   "chart " + frame["chart_id"].astype(str))


def _check_chart_ids(frame: pd.DataFrame, path: Path) -> None:
    """One chart_id is one encounter: one chart type and one discharge time (a patient number has several)."""
    cols = [c for c in ("chart_type", "discharged_at") if c in frame.columns]
    by_id = frame.groupby("chart_id", sort=False)[cols].nunique()
    bad = by_id[(by_id > 1).any(axis=1)]
    if bad.empty:
        return
    shown = []
    for chart_id in bad.index[:SHOWN]:
        rows = frame[frame["chart_id"] == chart_id]
        what = [f"types {', '.join(sorted(rows['chart_type'].dropna().unique()))}"] if bad.at[chart_id, "chart_type"] > 1 else []
        if "discharged_at" in cols and bad.at[chart_id, "discharged_at"] > 1:
            what.append(f"{bad.at[chart_id, 'discharged_at']} discharge times")
        shown.append(f"{chart_id} ({'; '.join(what)})")
    more = f", … {len(bad) - len(shown)} more" if len(bad) > len(shown) else ""
    raise LogError(f"{path}: {len(bad)} chart_ids have more than one chart type or discharge time: "
                   f"{', '.join(shown)}{more}; chart_id must be the encounter or account number, never the "
                   "patient's MRN")


def _check_overlaps(frame: pd.DataFrame, fail: _Reporter) -> None:
    """One coder codes one chart at a time: a session may not start before the coder's previous one ended."""
    order = frame.sort_values(["coder", "started_at", "ended_at"])
    previous_end = order.groupby("coder", sort=False)["ended_at"].transform(lambda s: s.cummax().shift())
    overlap = (order["started_at"] < previous_end).reindex(frame.index)
    detail = ("coder " + frame["coder"].astype(str) + " starts " + _fmt(frame["started_at"])
              + " before " + _fmt(previous_end.reindex(frame.index)))
    fail.where(overlap, f"{int(overlap.sum())} sessions overlap an earlier session of the same coder", detail)


def _check_types(log: SessionLog, min_charts: int) -> None:
    charts = log.sessions.groupby("chart_type")["chart_id"].nunique().sort_values()
    few = charts[charts < min_charts]
    if len(few):
        listed = ", ".join(f"{t} ({n} charts)" for t, n in few.items())
        raise LogError(f"{log.path}: too few charts to fit a coding time for {listed}; at least {min_charts} "
                       "are needed: merge the type into a similar one in the log, or lower --min-charts")
