"""``results.xlsx``: a manager's workbook — the summary, the comparison and per-day and per-coder summaries.

The run's big tables (every coder-day, every chart) stay in the run folder as
CSV or Parquet; a *Tables* sheet says where each one is, how many rows it has
and how to read it. So the workbook is the same few thousand cells whatever
the run's size, and opens at once. It is written with XlsxWriter in
constant-memory mode (row by row, never held whole).

Numbers are written at full precision (the sheet shows them rounded), so the
workbook holds the same values as ``summary.csv``. Each sheet has a styled,
frozen header, filters, number formats and sensible column widths.

Names come from the scenario (team, variant, chart type, the scenario's own
name), so every piece of text is written as text, never as a formula: a
variant called ``=HYPERLINK(…)`` is shown, never evaluated. Such text is also
marked with Excel's quote prefix, so editing the cell does not turn it into a
formula either, and characters a workbook cannot hold are written as escapes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.files import folder_tables
from sim.report.load import RunFolder
from sim.runs.registry import lookup

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F5F8B", "align": "center", "valign": "vcenter",
          "text_wrap": True}
INTEGER, DECIMAL, PERCENT, P_VALUE = "0", "#,##0.00", "0.0%", "0.0000"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula
INTEGER_COLUMNS = {"n", "replication", "replications", "day", "coder", "coder_days", "absent_days", "charts_coded",
                   "queries_sent", "queries_answered", "interruptions", "rows"}
ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # control characters a workbook cannot hold
MAX_TEXT = 32_767  # characters in one cell
BAND = (0.05, 0.95)  # the per-day sheet's band of replications, as in the backlog figure


def _format_for(column: str, series: pd.Series) -> str | None:
    if column in ("confidence", "ci_level", "p_met", "p_met_low", "p_met_high"):
        return PERCENT
    if column in ("p_value", "p_value_adjusted"):
        return P_VALUE
    if column in INTEGER_COLUMNS or column.startswith("coded_") and not column.endswith("_at"):
        return INTEGER
    if pd.api.types.is_float_dtype(series):
        return DECIMAL
    return None


def _text(x: str) -> str:
    """Text a workbook can hold: control characters Excel refuses (ESC, NUL…) written as ``\\x1b``."""
    return ILLEGAL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), x)[:MAX_TEXT]


def _shown(x: object, number_format: str | None) -> str:
    """Roughly what Excel displays, to size the column."""
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return ""
        if number_format == DECIMAL:
            return f"{x:,.2f}"
    return str(x)


class _Book:
    """An XlsxWriter workbook in constant-memory mode, with the few cell styles the sheets use."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "nan_inf_to_errors": False,
        })
        self.header = self.wb.add_format(HEADER)
        self.bold = self.wb.add_format({"bold": True})
        self.quoted = self.wb.add_format({"quote_prefix": True})
        self.numbers = {f: self.wb.add_format({"num_format": f}) for f in (INTEGER, DECIMAL, PERCENT, P_VALUE)}

    def text(self, ws, row: int, col: int, value: str, fmt=None) -> None:
        """Always a string cell; quote-prefixed where a spreadsheet could read it as a formula."""
        value = _text(value)
        ws.write_string(row, col, value, self.quoted if value.startswith(FORMULA_START) else fmt)

    def table(self, name: str, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> None:
        """One sheet: styled, frozen header with filters; numbers formatted; text as text."""
        ws = self.wb.add_worksheet(name)
        columns = [str(c) for c in frame.columns]
        fmts = [(formats or {}).get(c) or _format_for(c, frame[c]) for c in columns]
        for j, (col, f) in enumerate(zip(columns, fmts)):
            shown = [_shown(x, f) for x in frame[col].head(200)]
            width = max([len(col)] + [min(len(v), 60) for v in shown])
            ws.set_column(j, j, min(max(8, width + 2), 62))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))
        for j, col in enumerate(columns):
            self.text(ws, 0, j, col, self.header)
        writers = [self._writer(frame[c], f) for c, f in zip(columns, fmts)]
        values = [frame[c].to_numpy(dtype=object) for c in columns]
        for i in range(len(frame)):
            for j, write in enumerate(writers):
                write(ws, i + 1, j, values[j][i])

    def _writer(self, series: pd.Series, number_format: str | None):
        """How one column's cells are written: numbers as numbers, yes/no as booleans, the rest as text."""
        fmt = self.numbers.get(number_format) if number_format else None
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)

        def write(ws, row: int, col: int, x: object) -> None:
            if x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and math.isnan(x)):
                return  # an empty cell: pandas reads it back as NaN, as the CSV's empty field
            if isinstance(x, (bool, np.bool_)):
                ws.write_boolean(row, col, bool(x))
            elif numeric or isinstance(x, (int, float, np.integer, np.floating)):
                value = float(x)
                if math.isfinite(value):
                    ws.write_number(row, col, value, fmt)
                else:
                    self.text(ws, row, col, str(value))
            else:
                self.text(ws, row, col, str(x))

        return write

    def notes(self, name: str, rows: list[tuple[str, object]]) -> None:
        """A two-column sheet of labelled notes."""
        ws = self.wb.add_worksheet(name)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 100)
        for i, (key, value) in enumerate(rows):
            self.text(ws, i, 0, key, self.bold)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(i, 1, value)
            else:
                self.text(ws, i, 1, "" if value is None else str(value))

    def close(self) -> None:
        self.wb.close()


# ---------------------------------------------------------------- the sheets


def _summary_sheet(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with each metric's unit, better direction and meaning from the registry."""
    out = summary.copy()
    metrics = [lookup(m) for m in out["metric"]]
    out.insert(2, "unit", [m.unit for m in metrics])
    out.insert(3, "meaning", [m.meaning for m in metrics])
    out.insert(4, "better", [m.better or "" for m in metrics])
    return out


def _staffing_sheet(staffing: pd.DataFrame, meta: dict | None) -> pd.DataFrame:
    """The staffing curve; the interval's two-sided level as a column when the folder predates it."""
    out = staffing.copy()
    level = (meta or {}).get("ci_level_two_sided")
    if "ci_level" not in out and isinstance(level, (int, float)):
        out.insert(out.columns.get_loc("ci_high") + 1, "ci_level", float(level))
    return out


def _measures(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """The number columns of a table that are measures (not its keys, not the replication number)."""
    return [c for c in frame.columns if c not in keys and c != "replication" and c != "warmup"
            and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]


def per_day(days: pd.DataFrame) -> pd.DataFrame:
    """Each variant's day: mean over replications of every measure in days.csv, the backlog's 5–95 % band."""
    keys = ["variant", "day"]
    groups = days.groupby(keys, sort=False)
    out = groups[_measures(days, keys)].mean()
    out.insert(0, "replications", groups.size())
    if "backlog" in days:
        band = groups["backlog"].quantile(list(BAND)).unstack()
        at = out.columns.get_loc("backlog") + 1
        out.insert(at, f"backlog_p{BAND[0] * 100:.0f}", band[BAND[0]])
        out.insert(at + 1, f"backlog_p{BAND[1] * 100:.0f}", band[BAND[1]])
    if "warmup" in days:
        out["warmup"] = groups["warmup"].first().astype(str).str.lower().eq("true")
    return out.reset_index()


def per_coder(coder_days: pd.DataFrame) -> pd.DataFrame:
    """Each coder of each variant: coder-days worked after warm-up and the mean per coder-day worked of every measure.

    As in the key results, days away (``absent_minutes`` > 0) are no coder-days worked: they are left out of
    ``coder_days`` and the means, and counted in their own column ``absent_days`` when the run modelled absence.
    """
    cd = coder_days
    if "warmup" in cd:
        cd = cd.loc[~cd["warmup"].astype(str).str.lower().isin(("true", "1"))]
    keys = [c for c in ("variant", "coder", "team", "level") if c in cd]
    absence = "absent_minutes" in cd
    away = cd["absent_minutes"].to_numpy() > 0 if absence else np.zeros(len(cd), dtype=bool)
    worked = cd.loc[~away]
    groups = worked.groupby(keys, sort=False, dropna=False)
    out = groups[_measures(worked, [*keys, "day", "absent_minutes"])].mean()
    out.insert(0, "coder_days", groups.size())
    if absence:  # a coder away on every day after warm-up still has a row: no day worked, its days away
        absent = pd.Series(away, index=cd.index).groupby([cd[k] for k in keys], sort=False, dropna=False).sum()
        out = out.reindex(absent.index)
        out["coder_days"] = out["coder_days"].fillna(0).astype(int)
        out.insert(1, "absent_days", absent.astype(int))
    return out.reset_index()


SHEET_NOTES = {
    "Per day": "mean over replications of each day's row in days.csv, per variant; backlog_p5/p95: the band of "
               "replications drawn in the backlog figure",
    "Per coder": "per coder and variant: coder-days worked after warm-up (all replications) and the mean of each "
                 "column of coder_days.csv over them; absent_days (when the run modelled absence): the days away "
                 "on leave or sick, left out of coder_days and the means as the key results leave them out",
    "Tables": "every table of the run folder, its rows and where it is: the big ones are left out of this workbook",
}


def write_workbook(run: RunFolder, path: Path) -> Path:
    """Write ``results.xlsx`` for the run folder ``run`` to ``path``."""
    book = _Book(Path(path))
    try:
        sheets = []
        if run.summary is not None:
            book.table("Summary", _summary_sheet(run.summary))
        if run.comparison is not None and not run.comparison.empty:
            book.table("Comparison", run.comparison)
        if run.staffing is not None:
            book.table("Staffing", _staffing_sheet(run.staffing, run.staffing_meta))
        if run.days is not None and not run.days.empty:
            book.table("Per day", per_day(run.days))
            sheets.append("Per day")
        coder_days = run.coder_days
        if coder_days is not None and not coder_days.empty:
            book.table("Per coder", per_coder(coder_days))
            sheets.append("Per coder")
        tables = folder_tables(run)
        if tables:
            book.table("Tables", pd.DataFrame([t.row() for t in tables]))
            sheets.append("Tables")
        book.notes("About", _about(run) + [(f"sheet {s}", SHEET_NOTES[s]) for s in sheets])
    finally:
        book.close()
    return Path(path)


def _about(run: RunFolder) -> list[tuple[str, object]]:
    notes: list[tuple[str, object]] = [
        ("scenario", run.name),
        ("replications", run.manifest.get("replications")),
        ("seed", run.manifest.get("seed")),
        ("warm-up days", run.manifest.get("warmup_days")),
        ("confidence intervals", "95% Student-t over replication means; comparisons paired-t, Bonferroni-adjusted"),
    ]
    meta = run.staffing_meta or {}
    if run.staffing is not None:
        notes += [
            ("staffing target", meta.get("target")),
            ("staffing interval", meta.get("ci_text") or "two-sided level in the ci_level column"),
            ("main team varied", f"coders.count over {meta.get('coder_range')}"),
            ("fixed teams", ", ".join(f"{k} {v}" for k, v in (meta.get("fixed_teams") or {}).items()) or "none"),
            ("staffing answer", meta.get("answer_headcount") or (meta.get("shortfall") or {}).get("text")),
        ]
    return notes
