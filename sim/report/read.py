"""Reading a run folder's tables with pyarrow: only the columns, or the one replication, that are needed.

``charts.csv`` of a ten-replication department run is 100 MB and 1.2 million
rows; the turnaround figure needs three of its twelve columns and the coder's
day one replication of the base. Reading just those, block by block, keeps a
report to seconds and a few hundred MB whatever the size of the run. A
per-chart table is a CSV file or a Parquet folder (``--charts-format``).

Each column is read with the type a run writes (names as text, exactly as
written: a variant called ``NA`` stays ``NA``; counts as integers; times as
floats; yes/no flags as booleans). A file that does not read that way (text
where a number belongs, a cut line) raises :class:`Unreadable`, and the caller
reads it again with pandas, which names the bad cell (:mod:`sim.report.load`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

TEXT = {"variant", "metric", "chart_type", "team", "level", "activity", "method", "status"}
FLAGS = {"error", "to_audit", "caught_by_audit", "warmup", "outsourced", "vendor_error"}
INTEGERS = {"replication", "day", "coder", "chart_id", "started_by", "charts_coded", "queries_sent",
            "queries_answered", "interruptions", "n"}
MISSING = ["", "nan", "NaN", "-nan", "NA", "<NA>", "N/A", "n/a", "#N/A", "None", "null", "NULL"]  # in a number column
BLOCK = 1 << 17  # bytes of CSV parsed at a time: pyarrow's memory grows with it, its speed hardly


class Unreadable(ValueError):
    """pyarrow could not read the table as typed; pandas will say why."""


def header(path: Path) -> list[str]:
    """Column names of a CSV file or a Parquet folder, without reading the rows."""
    if path.is_dir():
        import pyarrow as pa
        import pyarrow.dataset as ds

        try:
            return list(_dataset(path, ds).schema.names)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise Unreadable(str(exc)) from None
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Unreadable(str(exc)) from None


def read_table(path: Path, columns: Iterable[str] | None = None, numbers: set[str] = frozenset()) -> pd.DataFrame:
    """The whole table, only ``columns`` where given (those it lacks are left out); names as categories.

    ``numbers`` are columns read as floats besides those the run always
    writes as numbers (the caller knows its table's number columns).
    """
    return _pandas(_batches(path, None if columns is None else list(columns), numbers))


def read_rows(path: Path, where: dict[str, object], columns: Iterable[str] | None = None,
              numbers: set[str] = frozenset()) -> pd.DataFrame:
    """The rows where each column of ``where`` equals its value, read up to the end of that block of rows.

    A run writes its per-chart tables in variant then replication order, so
    one replication of one variant is a block of consecutive rows; reading
    stops after it (for the base's first replication: near the file's start).
    """
    import pyarrow.compute as pc

    wanted = None if columns is None else [*columns, *(c for c in where if c not in columns)]
    picked, seen = [], False
    for batch in _batches(path, wanted, numbers, where):
        mask = None
        for column, value in where.items():
            values = batch.column(column)
            if hasattr(values, "dictionary_decode"):
                values = values.dictionary_decode()
            term = pc.fill_null(pc.equal(values, value), False)
            mask = term if mask is None else pc.and_(mask, term)
        hits = int(pc.sum(mask).as_py() or 0) if mask is not None else batch.num_rows
        if hits:
            picked.append(batch.filter(mask) if mask is not None else batch)
            seen = True
            if mask is not None and not mask[-1].as_py():
                break  # the block of rows ends inside this batch
        elif seen:
            break  # it ended with the batch before
    if not picked:
        names = [c for c in header(path) if wanted is None or c in wanted]
        return pd.DataFrame(columns=names)
    frame = _pandas(picked)
    return frame if columns is None else frame[[c for c in columns if c in frame]]


# ---------------------------------------------------------------- pyarrow


def _type(column: str, numbers: set[str]):
    import pyarrow as pa

    if column in TEXT:
        return pa.dictionary(pa.int32(), pa.string())
    if column in FLAGS:
        return pa.bool_()
    if column in INTEGERS:
        return pa.int64()
    if column in numbers:
        return pa.float64()
    return None  # a column the report does not compute with: as pyarrow reads it


def _dataset(path: Path, ds):
    return ds.dataset(sorted(path.glob("part-*.parquet")), format="parquet")


def _batches(path: Path, columns: list[str] | None, numbers: set[str], where: dict | None = None) -> Iterator:
    """Record batches of the table, typed; a Parquet folder filtered by ``where`` as it is read."""
    import pyarrow as pa

    if path.is_dir():
        import pyarrow.dataset as ds

        try:
            dataset = _dataset(path, ds)
            names = dataset.schema.names
            keep = None if columns is None else [c for c in columns if c in names]
            condition = None
            for column, value in (where or {}).items():
                term = ds.field(column) == value
                condition = term if condition is None else condition & term
            yield from dataset.to_batches(columns=keep, filter=condition)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise Unreadable(str(exc)) from None
        return
    import pyarrow.csv as pcsv

    names = header(path)
    keep = names if columns is None else [c for c in columns if c in names]
    types = {c: t for c in keep if (t := _type(c, numbers)) is not None}
    options = pcsv.ConvertOptions(include_columns=keep, column_types=types, null_values=MISSING,
                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                  true_values=["true", "True", "TRUE", "1"],
                                  false_values=["false", "False", "FALSE", "0"])
    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=BLOCK), convert_options=options,
                               memory_pool=_pool())
        yield from reader
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise Unreadable(str(exc)) from None


def _pandas(batches: Iterable) -> pd.DataFrame:
    """Batches as one pandas frame, each batch turned into NumPy as it comes (so no second copy of the table).

    Names become categories (a million rows of six variant names cost a few
    MB), in order of first appearance; numbers NumPy arrays (integers with a
    gap become floats with NaN, as pandas reads them); yes/no flags pandas
    booleans with NA.
    """
    import pyarrow as pa

    parts: dict[str, list] = {}
    names: dict[str, dict[str, int]] = {}
    for batch in batches:
        for column, values in zip(batch.schema.names, batch.columns):
            if pa.types.is_dictionary(values.type):
                seen = names.setdefault(column, {})
                codes = np.array([seen.setdefault(v, len(seen)) for v in values.dictionary.to_pylist()], dtype=np.int32)
                values = codes[values.indices.to_numpy(zero_copy_only=False)] if len(codes) else codes
            elif pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
                values = values.to_numpy(zero_copy_only=False, writable=True)  # a copy: frees the block it came from
            parts.setdefault(column, []).append(values)
    if not parts:
        raise Unreadable("no rows")
    frame = {}
    for column, chunks in parts.items():
        if column in names:
            frame[column] = pd.Categorical.from_codes(np.concatenate(chunks), categories=list(names[column]))
        elif isinstance(chunks[0], np.ndarray):
            frame[column] = np.concatenate(chunks)
        else:
            frame[column] = pa.chunked_array(chunks).to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        chunks.clear()
    return pd.DataFrame(frame, copy=False)


def _pool():
    """The C allocator's pool: memory pyarrow frees goes back to the one heap numpy and pandas use too."""
    import pyarrow as pa

    return pa.system_memory_pool()
