"""The big tables (charts, activities, coder_days) as files, written task by task.

Each task renders its rows where it ran, with pyarrow (formatting and
compression in C++, spread over the workers), and the run folder only appends
what comes back, in replication order, so no process ever holds every chart:

- ``csv``: ``charts.csv`` and ``activities.csv``, floats at full precision
  (shortest text that reads back to the same float), an empty field for
  "did not happen", text fields quoted. The bytes equal those of the table
  written whole (:func:`write_csv`).
- ``parquet``: ``charts.parquet/`` and ``activities.parquet/``, folders of one
  zstd-compressed file per task, ``part-000000.parquet`` onwards in
  replication order; ``pandas.read_parquet(folder)`` reads a whole table.
  The rows are the same whatever the worker count; how they are split into
  files follows the tasks.

``coder_days.csv`` (one row per coder per working day: a 50-coder, 60-day
run has 3,000 a replication) is always CSV, streamed the same way.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Protocol

import pandas as pd


class Chunk(Protocol):
    """What a task sends back, as far as the files are concerned (:class:`sim.runs.tasks.Chunk`)."""

    files: dict[str, tuple[list[str], bytes]] | None


FORMATS = ("csv", "parquet")
PER_CHART = ("charts", "activities")
ROWS = "rows"  # rendered as CSV rows where the task ran, kept with the task, written whole at the end
IN_ORDER = ("replications", "days")  # the run's own tables: their rows come back rendered (ROWS)


def _arrow(frame: pd.DataFrame, variant: str | None):
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if variant is not None:
        table = table.add_column(0, "variant", pa.repeat(pa.scalar(variant, pa.string()), len(frame)))
    return table


def conform(frame: pd.DataFrame, layout: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns of ``layout`` (an empty frame), in its order; a column it lacks is left empty.

    The empty column has the layout's type, made nullable (a whole number or
    yes/no column of another variant): one type per column in every task's
    rows, so each Parquet part has the same schema and a CSV row the header's fields.
    """
    if list(frame.columns) == list(layout.columns):
        return frame
    columns = {}
    for name, dtype in layout.dtypes.items():
        columns[name] = frame[name] if name in frame.columns else _empty(dtype, frame.index)
    return pd.DataFrame(columns, index=frame.index)


def _empty(dtype: object, index: pd.Index) -> pd.Series:
    """A column of nothing (NA) of a type that holds ``dtype``'s values."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical.from_codes([-1] * len(index), dtype=dtype), index=index)
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series(pd.NA, index=index, dtype="boolean")
    if pd.api.types.is_integer_dtype(dtype):
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if pd.api.types.is_float_dtype(dtype):
        return pd.Series(float("nan"), index=index, dtype=dtype)
    return pd.Series(pd.NA, index=index, dtype="string")  # text (a name, a source id)


def csv_header(columns: list[str]) -> bytes:
    """The header line, quoted only where a name needs it."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(columns)
    return line.getvalue().encode()


def render(frame: pd.DataFrame, variant: str | None, fmt: str) -> bytes:
    """One task's rows of a per-chart table, with ``variant`` as the first column when given.

    ``csv``: the rows without their header; ``parquet``: a whole Parquet file.
    """
    table = _arrow(frame, variant)
    sink = io.BytesIO()
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, sink, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A whole per-chart table as CSV: the same bytes as streaming it task by task."""
    with open(path, "wb") as f:
        f.write(csv_header(list(frame.columns)))
        if len(frame):
            f.write(render(frame, None, "csv"))


class ChartFiles:
    """Given to a run as its ``sink``: appends each task's rendered rows to the run folder.

    ``coder_days`` always; the per-chart tables ``charts`` and ``activities``
    when ``per_chart``, in format ``fmt``.
    """

    def __init__(self, folder: Path, fmt: str = "csv", per_chart: bool = True) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"per-chart format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        self.folder = Path(folder)
        # what tasks must render, and how; ROWS tables come back with the task and are written in table
        # order at the end (sim.runs.write), the others are appended here as tasks finish
        self.render = {**({t: fmt for t in PER_CHART} if per_chart else {}), "coder_days": "csv",
                       **{t: ROWS for t in IN_ORDER}}
        self.streamed = {t: f for t, f in self.render.items() if f != ROWS}

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.{self.streamed[table]}"

    def __call__(self, chunk: Chunk) -> None:
        for table, (columns, data) in (chunk.files or {}).items():
            path = self.path(table)
            if self.streamed[table] == "csv":
                with open(path, "ab") as f:
                    if f.tell() == 0:
                        f.write(csv_header(columns))
                    f.write(data)
            else:
                path.mkdir(exist_ok=True)
                (path / f"part-{len(self._parts(path)):06d}.parquet").write_bytes(data)

    @staticmethod
    def _parts(folder: Path) -> list[Path]:
        return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []

    def sizes(self) -> dict[str, int]:
        """How far each table has got: bytes of a CSV file, files of a Parquet folder."""
        return {t: (self.path(t).stat().st_size if self.path(t).exists() else 0) if fmt == "csv"
                else len(self._parts(self.path(t))) for t, fmt in self.streamed.items()}

    def cut(self, sizes: dict[str, int]) -> None:
        """Back to ``sizes`` (see :meth:`sizes`): drops what a task interrupted half-way wrote."""
        for table, fmt in self.streamed.items():
            keep, path = sizes.get(table, 0), self.path(table)
            if fmt == "csv":
                if path.exists():
                    with open(path, "r+b") as f:
                        f.truncate(keep)
            else:
                for part in self._parts(path)[keep:]:
                    part.unlink()
