"""``results.xlsx``: the summary, the comparison and the coder-days, formatted for Excel users.

Numbers are written at full precision (the sheet shows them rounded), so the
workbook holds the same values as ``summary.csv``. Each sheet has a styled,
frozen header, filters, number formats and sensible column widths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.report.labels import doc, unit
from sim.report.load import RunFolder

MAX_ROWS = 50_000  # coder-day rows written (all are in coder_days.csv); keeps the workbook quick to write and open
HEADER_FILL = PatternFill("solid", fgColor="1F5F8B")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INTEGER, DECIMAL, PERCENT, P_VALUE = "0", "#,##0.00", "0.0%", "0.0000"
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


def _shown(x: object, number_format: str | None) -> str:
    """Roughly what Excel displays, to size the column."""
    if isinstance(x, (float, np.floating)) and number_format == DECIMAL and not np.isnan(x):
        return f"{x:,.2f}"
    return str(x)


def _write(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> None:
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    fmts = [(formats or {}).get(c) or _format_for(c, frame[c]) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell_value(x) for x in row])
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
    out = summary.copy()
    out.insert(2, "unit", [unit(m) for m in out["metric"]])
    out.insert(3, "meaning", [doc(m) for m in out["metric"]])
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
        _write(wb.create_sheet("Staffing"), run.staffing)
    notes = [
        ("scenario", run.name),
        ("replications", run.manifest.get("replications")),
        ("seed", run.manifest.get("seed")),
        ("warm-up days", run.manifest.get("warmup_days")),
        ("confidence intervals", "95% Student-t over replication means; comparisons paired-t, Bonferroni-adjusted"),
    ]
    if run.coder_days is not None:
        cd = run.coder_days
        if len(cd) > MAX_ROWS:
            notes.append(("coder days", f"first {MAX_ROWS:,} of {len(cd):,} rows; all rows are in coder_days.csv"))
            cd = cd.head(MAX_ROWS)
        _write(wb.create_sheet("Coder days"), cd)
    about = wb.create_sheet("About")
    for k, v in notes:
        about.append([k, "" if v is None else str(v) if not isinstance(v, (int, float)) else v])
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    for (cell,) in about.iter_rows(min_col=1, max_col=1):
        cell.font = Font(bold=True)
    path = Path(path)
    wb.save(path)
    return path
