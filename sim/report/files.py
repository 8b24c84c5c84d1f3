"""What a run folder holds, and what the report took from each table and left in the folder.

The report and the workbook show summaries; the run's big tables (every
coder-day, chart, break and billing question) stay in the folder as CSV or
Parquet. Both say so, table by table, with the rows each holds and how to
read it, so nothing left out is lost from view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.report.load import RunFolder

# table → (what a row is, what the report and the workbook take from it)
TABLES = {
    "summary": ("each metric of each variant: mean, 95% CI, percentiles",
                "the key results; sheet Summary"),
    "comparison": ("each metric of each variant against the base (paired)",
                   "the comparison table and figure; sheet Comparison"),
    "staffing": ("each team size a staffing search tried", "the staffing curve; sheet Staffing"),
    "replications": ("each replication's metrics", "not shown: the summary and comparison are made from it"),
    "days": ("each day of each replication: arrivals, charts coded, backlog",
             "the backlog figures; sheet Per day (means over replications)"),
    "coder_days": ("each coder's working day in each replication",
                   "the charts-per-day and time-use figures, the coder's day; sheet Per coder (means)"),
    "charts": ("each chart: arrival, start, query, coding",
               "left in the folder: the coder's day reads the base's first replication (and the turnaround "
               "figure its variant, arrived_at and coded_at columns when the folder has no turnaround.csv)"),
    "activities": ("each break and billing question", "left in the folder: the coder's day reads the base's first "
                                                       "replication"),
    "warmup": ("the mean backlog by day behind the warm-up choice", "left in the folder"),
    "percentiles": ("percentiles of charts per coder-day, with CIs", "left in the folder"),
    "precision": ("each metric's CI half-width at each check of a --precision run", "left in the folder"),
    "turnaround": ("coded charts of each variant by 5-minute turnaround bin, replications together",
                   "the turnaround figure"),
}
LINES_READ = 1 << 22  # bytes read at a time when counting a CSV file's rows
NEWLINE = ord("\n")


@dataclass(frozen=True)
class FolderTable:
    """One table of a run folder: its file (or Parquet folder), rows and what the report made of it."""

    name: str
    file: str
    rows: int | None
    megabytes: float
    holds: str
    used: str

    def row(self) -> dict[str, object]:
        reader = "pandas.read_parquet" if self.file.endswith(".parquet") else "pandas.read_csv"
        return {"table": self.file, "rows": self.rows, "size_mb": round(self.megabytes, 2), "a row is": self.holds,
                "in this report": self.used, "read it with": f"{reader}('{self.file}')"}


def folder_tables(run: RunFolder) -> list[FolderTable]:
    """The folder's tables, in the order of :data:`TABLES`; rows counted where they were not read whole."""
    out = []
    for name, (holds, used) in TABLES.items():
        path = run.files.get(name) or run.path / f"{name}.csv"
        if not path.exists():
            continue
        frame = getattr(run, name, None) if name not in run.files else None
        rows = len(frame) if frame is not None else run.read_rows.get(name)
        if rows is None:
            rows = _rows(path)
            if rows is not None:  # the page and the workbook both list the tables: charts.csv is counted once
                run.read_rows[name] = rows
        out.append(FolderTable(name, path.name, rows, _size(path) / 1e6, holds, used))
    return out


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*")) if path.is_dir() else path.stat().st_size


def _rows(path: Path) -> int | None:
    """Rows of a CSV file (lines after the header) or of a Parquet folder (from its files' footers)."""
    try:
        if path.is_dir():
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(path.glob("part-*.parquet")))
        # numpy compares a block's bytes with the newline about twice as fast as bytes.count (100 MB: 40 ms)
        lines, last, block = 0, NEWLINE, bytearray(LINES_READ)
        codes = np.frombuffer(block, dtype=np.uint8)
        with open(path, "rb", buffering=0) as f:
            while size := f.readinto(block):
                lines += int(np.count_nonzero(codes[:size] == NEWLINE))
                last = block[size - 1]
        return max(0, lines + (last != NEWLINE) - 1)
    except (OSError, ValueError):
        return None
