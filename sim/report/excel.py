"""``results.xlsx``: the summary, the comparison and the coder-days, formatted for Excel users.

Numbers are written at full precision (the sheet shows them rounded), so the
workbook holds the same values as ``summary.csv``. Each sheet has a styled,
frozen header, filters, number formats and sensible column widths.

Names come from the scenario (team, variant, chart type, the scenario's own
name), so every piece of text is written as text: a variant called
``=HYPERLINK(…)`` is shown, never evaluated. Such text is also marked with
Excel's quote prefix, so editing the cell does not turn it into a formula
either, and characters a workbook cannot hold are written as escapes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.report.load import RunFolder
from sim.runs.registry import lookup

MAX_ROWS = 50_000  # coder-day rows written (all are in coder_days.csv); keeps the workbook quick to write and open
HEADER_FILL = PatternFill("solid", fgColor="1F5F8B")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INTEGER, DECIMAL, PERCENT, P_VALUE = "0", "#,##0.00", "0.0%", "0.0000"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula
INTEGER_COLUMNS = {"n", "replication", "day", "coder", "charts_coded", "queries_sent", "queries_answered", "interruptions"}


def _format_for(column: str, series: pd.Series) -> str | None:
    if column in ("confidence",):
        return PERCENT
    if column == "p_value":
        return P_VALUE
    if column in INTEGER_COLUMNS or column.startswith("coded_"):
        return INTEGER
    if pd.api.types.is_float_dtype(series):
        return DECIMAL
    return None


def _cell_value(x: object) -> object:
    if isinstance(x, (np.floating, float)):
        return None if np.isnan(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _text(x: str) -> str:
    """Text a workbook can hold: control characters Excel refuses (ESC, NUL…) written as ``\\x1b``."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), x)


def _append(ws: Worksheet, values: list[object]) -> None:
    """Append a row, every string as text (openpyxl would store ``=…`` as a formula, ``#N/A`` as an error)."""
    ws.append([_text_cell(ws, v) if isinstance(v, str) else v for v in values])


def _text_cell(ws: Worksheet, value: str) -> Cell:
    cell = Cell(ws, value=_text(value))
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def _shown(x: object, number_format: str | None) -> str:
    """Roughly what Excel displays, to size the column."""
    if isinstance(x, (float, np.floating)) and number_format == DECIMAL and not np.isnan(x):
        return f"{x:,.2f}"
    return str(x)


def _write(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> None:
    _append(ws, [str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fmts = [(formats or {}).get(c) or _format_for(c, frame[c]) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        _append(ws, [_cell_value(x) for x in row])
    for j, (col, f) in enumerate(zip(frame.columns, fmts), start=1):
        letter = get_column_letter(j)
        if f:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = f
        shown = [_shown(x, f) for x in frame[col].head(200)]
        width = max([len(str(col))] + [min(len(v), 60) for v in shown])
        ws.column_dimensions[letter].width = min(max(8, width + 2), 62)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


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


def write_workbook(run: RunFolder, path: Path) -> Path:
    """Write ``results.xlsx`` for the run folder ``run`` to ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    if run.summary is not None:
        _write(wb.create_sheet("Summary"), _summary_sheet(run.summary))
    if run.comparison is not None and not run.comparison.empty:
        _write(wb.create_sheet("Comparison"), run.comparison)
    if run.staffing is not None:
        _write(wb.create_sheet("Staffing"), _staffing_sheet(run.staffing, run.staffing_meta),
               {"ci_level": PERCENT, "p_met": PERCENT, "p_met_low": PERCENT, "p_met_high": PERCENT})
    notes = [
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
    if run.coder_days is not None:
        cd = run.coder_days
        if len(cd) > MAX_ROWS:
            notes.append(("coder days", f"first {MAX_ROWS:,} of {len(cd):,} rows; all rows are in coder_days.csv"))
            cd = cd.head(MAX_ROWS)
        _write(wb.create_sheet("Coder days"), cd)
    about = wb.create_sheet("About")
    for k, v in notes:
        _append(about, [k, "" if v is None else str(v) if not isinstance(v, (int, float)) else v])
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    for (cell,) in about.iter_rows(min_col=1, max_col=1):
        cell.font = Font(bold=True)
    path = Path(path)
    wb.save(path)
    return path
