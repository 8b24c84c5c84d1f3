"""Raw records → tidy tables, built once for all replications.

The model fills plain Python lists and objects; here they become columns (lists), the
columns of many replications are concatenated, and pandas sees them once.
Times are minutes from the start of the run; NaN means "did not happen".
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.records import ACTIVITY_NAMES, Records
from sim.scenario.calendar import DAY
from sim.scenario.config import Scenario

if TYPE_CHECKING:
    from sim.model.opening import Opening

CHART_COLUMNS = (
    "replication", "chart_id", "chart_type", "arrived_at", "started_at",
    "query_sent_at", "query_answered_at", "resumed_at", "coded_at", "coder", "started_by",
)
TURNAROUND_BIN_MINUTES = 5  # turnaround.csv: coded charts counted by arrival-to-coded time in 5-minute bins
_TIME_COLUMNS = ("coding", "query_writing", "interrupted", "on_break", "idle", "paid", "overtime", "after_shift")


_CHART_FIELDS = (  # a chart's id is its place in its replication: made by Columns.chart_columns
    "kind", "arrived_at", "started_at", "query_sent_at", "query_answered_at", "resumed_at", "coded_at", "coder",
    "started_by",
)
_INT_FIELDS = frozenset({"kind", "coder", "started_by"})  # whole numbers: read as int64, never through float
_ACCURACY_FIELDS = ("error_u", "error_found_at", "reworked_at")  # added when the scenario models errors
_AUDIT_FIELDS = ("to_audit", "audited_at", "caught")  # added when the scenario audits
_VENDOR_FIELDS = ("outsourced", "vendor_error")  # added when the scenario outsources
_DAY_FIELDS = (
    "day", "coder", "queries_sent", "interruptions", *_TIME_COLUMNS, "absent", "rework", "reworked", "errors",
    "auditing", "audits", "coded",
)


class Columns:
    """Accumulates the rows of the charts, coder-days and activities tables of one task's replications.

    Chart columns are the replications' own columns (sim.model.charts.Charts)
    joined; coder-day rows are plain tuples taken with one ``attrgetter`` per
    record (C speed). Both become arrays once, in :func:`charts_frame` and
    :func:`coder_days_frame`. Records of a scenario that audits
    (``Records.audits``) add the audit columns.
    """

    def __init__(
        self, kinds: list[str], error_probability: list[list[float]] | None = None, audits: bool = False,
        outsourcing: bool = False,
    ) -> None:
        self.kinds = kinds
        # Each coder's error probability by type (Department.errors), when the scenario models errors.
        self.error_probability = error_probability
        self._chart_fields = (*_CHART_FIELDS, *_ACCURACY_FIELDS) if error_probability is not None else _CHART_FIELDS
        self.chart_cols: dict[str, list] = {}
        self.chart_reps: list[tuple[int, int]] = []  # (replication, rows)
        self.day_rows: list[tuple] = []
        self.day_reps: list[tuple[int, int]] = []
        self.activity_rows: list[tuple] = []
        self.activity_reps: list[tuple[int, int]] = []
        self.audits = False
        self.outsourcing = False
        self._mark(audits, outsourcing)

    def _mark(self, audits: bool, outsourcing: bool) -> None:
        """Add the audit and vendor columns once the scenario (or its first record) says they are modelled."""
        if audits and not self.audits:
            self.audits = True
            self._chart_fields = (*self._chart_fields, *_AUDIT_FIELDS)
        if outsourcing and not self.outsourcing:
            self.outsourcing = True
            self._chart_fields = (*self._chart_fields, *_VENDOR_FIELDS)

    def add(self, rec: Records) -> None:
        self._mark(rec.audits, rec.outsourcing)  # every record of a task comes from one scenario
        charts, n = rec.charts, len(rec.charts)
        for name in self._chart_fields:
            self.chart_cols.setdefault(name, []).extend(getattr(charts, name))
        self.chart_reps.append((rec.replication, n))
        self.day_rows.extend(map(attrgetter(*_DAY_FIELDS), rec.coder_days))
        self.day_reps.append((rec.replication, len(rec.coder_days)))
        self.activity_rows.extend(rec.activities)
        self.activity_reps.append((rec.replication, len(rec.activities)))

    @staticmethod
    def _replications(reps: list[tuple[int, int]]) -> np.ndarray:
        """Each row's replication, from the (replication, rows) of every replication in turn."""
        pairs = np.array(reps, dtype=np.int64).reshape(-1, 2)
        return np.repeat(pairs[:, 0], pairs[:, 1])

    def chart_columns(self, skip: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
        """The chart columns as arrays (but those in ``skip``): ``kind``, ``coder``, ``started_by`` and ``id`` int64,
        the rest float.

        ``np.fromiter`` with the length known converts a list a third faster
        than ``np.array``, to the same values; ``id`` (a chart's place in its
        replication) is computed from the replications' sizes.
        """
        out = {}
        for name in self._chart_fields:
            if name in skip:
                continue
            column = self.chart_cols.get(name, [])
            out[name] = np.fromiter(column, np.int64 if name in _INT_FIELDS else float, count=len(column))
        pairs = np.array(self.chart_reps, dtype=np.int64).reshape(-1, 2)
        sizes = pairs[:, 1]
        out["id"] = np.arange(sizes.sum(), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        out["replication"] = np.repeat(pairs[:, 0], sizes)
        return out

    def day_columns(self) -> dict[str, np.ndarray]:
        """The coder-day columns as float arrays, the charts coded of each type (``kind<k>``) int64.

        Each row's numbers are chained into one ``np.fromiter``: no row of
        Python objects is made on the way, and the values are the same.
        """
        n, m, rows = len(self.day_rows), len(_DAY_FIELDS) - 1, self.day_rows
        out: dict[str, np.ndarray] = {"replication": self._replications(self.day_reps)}
        cols = np.fromiter(chain.from_iterable(row[:-1] for row in rows), float, count=n * m).reshape(n, m)
        out.update(zip(_DAY_FIELDS[:-1], cols.T))
        coded = np.fromiter(chain.from_iterable(row[-1] for row in rows), np.int64,
                            count=n * len(self.kinds)).reshape(n, len(self.kinds))
        for k in range(len(self.kinds)):
            out[f"kind{k}"] = coded[:, k]
        return out


def charts_frame(
    cols: Columns, billable: bool = False, opening: Opening | None = None, full: bool = True,
) -> pd.DataFrame:
    """One row per chart per replication (the ``charts.csv`` table).

    When the scenario models errors it ends with ``error`` (empty while the
    chart is not coded), ``error_found_at`` and ``reworked_at``; with audits,
    with the audit's columns. ``billable`` (the scenario counts revenue) adds
    ``billable_at`` without audits too: a chart is billable once coded. With
    a starting state (``opening``) ``source_id`` is the open chart's id in the
    file (empty for charts that arrived later), and ``expected_reimbursement``
    its own dollars where the file gives them.

    ``full`` False leaves out ``resumed_at`` and ``coder``, which no metric
    or daily table reads: for a task whose per-chart tables are not kept,
    two columns fewer to convert.
    """
    light = frozenset() if full else frozenset({"resumed_at"} if cols.error_probability is not None
                                               else {"resumed_at", "coder"})
    c = cols.chart_columns(light)
    columns = {
        "replication": c["replication"],
        "chart_id": c["id"],
        "chart_type": pd.Categorical.from_codes(c["kind"], categories=cols.kinds),
        "arrived_at": c["arrived_at"],
        "started_at": c["started_at"],
        "query_sent_at": c["query_sent_at"],
        "query_answered_at": c["query_answered_at"],
        "resumed_at": c.get("resumed_at"),
        "coded_at": c["coded_at"],
        "coder": _who(c["coder"]) if full else None,
        "started_by": _who(c["started_by"]),
    }
    # The arrays are this table's own: no copy of them into one block (the columns' values are the same).
    frame = pd.DataFrame({name: column for name, column in columns.items() if column is not None}, copy=False)
    if opening is not None:
        _source_columns(frame, opening)
    if cols.error_probability is not None:
        _accuracy_columns(frame, c, np.array(cols.error_probability, dtype=float).reshape(-1, len(cols.kinds)))
    if cols.audits:
        _audit_columns(frame, c)
    elif billable:
        frame["billable_at"] = c["coded_at"]
    if cols.outsourcing:
        _vendor_columns(frame, c)
    return frame


def _who(column: np.ndarray) -> pd.arrays.IntegerArray:
    """A coder column (−1: nobody) as nullable integers, built from its mask without a pass through float.

    Masked slots hold 1, as ``pd.array`` of a float column with NaN leaves them.
    """
    nobody = column < 0
    return pd.arrays.IntegerArray(np.where(nobody, 1, column), nobody)


def _source_columns(frame: pd.DataFrame, opening: Opening) -> None:
    """The open charts of the state are ids 0 … n−1 of each replication: their file id and own dollars."""
    ids, n = frame["chart_id"].to_numpy(), len(opening)
    mine = ids < n
    at = np.minimum(ids, max(n - 1, 0))
    frame["source_id"] = np.where(mine, np.array(opening.source_ids or [""], dtype=object)[at], None)
    if n and not np.isnan(opening.dollars).all():
        frame["expected_reimbursement"] = np.where(mine, opening.dollars[at], np.nan)


def _vendor_columns(frame: pd.DataFrame, c: dict[str, np.ndarray]) -> None:
    """``outsourced``: sent to the vendor at arrival; ``vendor_error``: returned by it with an error.

    With accuracy modelled, a vendor chart's ``error`` is its vendor error
    (empty until returned), so error rates count every coded chart.
    """
    sent = c["outsourced"] > 0
    frame["outsourced"] = sent
    frame["vendor_error"] = c["vendor_error"] > 0
    if "error" in frame.columns and sent.any():
        returned = sent & ~np.isnan(c["coded_at"])
        frame.loc[returned, "error"] = frame["vendor_error"][returned]
        frame.loc[sent & ~returned, "error"] = pd.NA


def _audit_columns(frame: pd.DataFrame, c: dict[str, np.ndarray]) -> None:
    """``to_audit``: sampled for a pre-bill audit; ``audited_at``; ``caught_by_audit`` (empty until audited);
    ``billable_at``: when the chart could be billed — coded, or when sampled its audit done (its
    rework, when the audit caught an error); empty while it cannot be."""
    to_audit, audited, caught = c["to_audit"] > 0, c["audited_at"], c["caught"] > 0
    frame["to_audit"] = to_audit
    frame["audited_at"] = audited
    frame["caught_by_audit"] = pd.array(np.where(np.isnan(audited), False, caught), dtype="boolean")
    frame.loc[np.isnan(audited), "caught_by_audit"] = pd.NA
    reworked = c.get("reworked_at", np.full(len(frame), np.nan))  # only a chart with an error is caught
    frame["billable_at"] = np.where(to_audit, np.where(caught, reworked, audited), c["coded_at"])


def _accuracy_columns(frame: pd.DataFrame, c: dict[str, np.ndarray], error_probability: np.ndarray) -> None:
    """``error``: coded with an error (by the coder's probability and the chart's draw); when it was found and reworked."""
    coded = c["coder"] >= 0
    p = np.zeros(len(frame))
    p[coded] = error_probability[c["coder"][coded].astype(int), c["kind"][coded].astype(int)]
    frame["error"] = pd.array(np.where(coded, c["error_u"] < p, False), dtype="boolean")
    frame.loc[~coded, "error"] = pd.NA
    frame["error_found_at"] = c["error_found_at"]
    frame["reworked_at"] = c["reworked_at"]


def coder_days_frame(
    cols: Columns, charts: pd.DataFrame, teams: list[str], levels: list[str], absence: bool = False
) -> pd.DataFrame:
    """One row per replication × day × coder (the ``coder_days.csv`` table).

    With ``absence`` (the scenario models it) the table ends with
    ``absent_minutes``: the shift's minutes on a day the coder was away, else 0.
    When the scenario models errors, ``errors`` (charts coded with an error),
    ``charts_reworked`` and ``rework_minutes`` (part of ``coding_minutes``) follow;
    when it audits, ``charts_audited`` and ``audit_minutes`` (a time-use column
    of its own: with it the time use adds up to ``paid_minutes``).
    """
    d = cols.day_columns()
    rep, day, coder = d["replication"], d["day"].astype(int), d["coder"].astype(int)
    coded = [d[f"kind{k}"] for k in range(len(cols.kinds))]
    columns: dict[str, np.ndarray] = {
        "replication": rep, "day": day, "coder": coder,
        "team": np.array(teams, dtype=object)[coder],
        "level": np.array(levels, dtype=object)[coder],
        "charts_coded": sum(coded, np.zeros(len(rep), dtype=int)),
        **{f"coded_{kind}": column for kind, column in zip(cols.kinds, coded)},
        "queries_sent": d["queries_sent"].astype(int),
        "queries_answered": _answered_per_coder_day(charts, rep, day, coder),
        "interruptions": d["interruptions"].astype(int),
        "paid_minutes": d["paid"],
        "overtime_minutes": d["overtime"],
        "after_shift_minutes": d["after_shift"],
        "coding_minutes": d["coding"],
        "query_minutes": d["query_writing"],
        "interrupted_minutes": d["interrupted"],
        "break_minutes": d["on_break"],
        "idle_minutes": d["idle"],
    }
    if absence:
        columns["absent_minutes"] = d["absent"]
    if cols.error_probability is not None:
        columns.update(errors=d["errors"].astype(int), charts_reworked=d["reworked"].astype(int),
                       rework_minutes=d["rework"])
    if cols.audits:
        columns.update(charts_audited=d["audits"].astype(int), audit_minutes=d["auditing"])
    # One frame made from every column at once: a column added to a frame is an insert into its column index each time.
    return pd.DataFrame(columns, copy=False)


def _answered_per_coder_day(charts: pd.DataFrame, rep: np.ndarray, day: np.ndarray, coder: np.ndarray) -> np.ndarray:
    """Queries of each coder answered since the coder's previous working day.

    An answer that lands on a day the coder does not work (a weekend) counts
    on the coder's next working day; answers after the coder's last working
    day appear in no coder-day (the replication total, ``queries_answered``
    in replications.csv, counts every answer).
    """
    at = charts["query_answered_at"].to_numpy()
    sender = charts["started_by"].to_numpy(dtype=np.int64, na_value=-1)  # who sent the query
    answered = ~np.isnan(at) & (sender >= 0)  # held at as_of: by nobody known
    if not answered.any() or not len(rep):
        return np.zeros(len(rep), dtype=int)
    worked = np.unique(day)
    answer_day = (at[answered] // DAY).astype(int)
    slot = np.searchsorted(worked, answer_day)
    keep = slot < len(worked)
    # One integer per (replication, day, coder): the answers counted per key, each coder-day looked up.
    sender = sender[answered][keep]
    n_days, n_coders = int(worked[-1]) + 1, int(max(coder.max(), sender.max(initial=0))) + 1
    keys, counts = np.unique(
        (charts["replication"].to_numpy()[answered][keep] * n_days + worked[slot[keep]]) * n_coders + sender,
        return_counts=True,
    )
    if not len(keys):
        return np.zeros(len(rep), dtype=int)
    wanted = (rep * n_days + day) * n_coders + coder
    at_key = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at_key] == wanted, counts[at_key], 0)


def activities_frame(cols: Columns) -> pd.DataFrame:
    """One row per break taken and billing question answered (the ``activities.csv`` table).

    ``start`` is when the coder dealt with it, ``arrived_at`` when the
    question came (for a break, its set time), both in run minutes.
    """
    n = len(cols.activity_rows)  # each row's six numbers chained into one array, as day_columns does
    rows = np.fromiter(chain.from_iterable(cols.activity_rows), float, count=6 * n).reshape(n, 6)
    return pd.DataFrame(
        {
            "replication": Columns._replications(cols.activity_reps),
            "coder": rows[:, 0].astype(int),
            "day": rows[:, 1].astype(int),
            "activity": pd.Categorical.from_codes(rows[:, 2].astype(int), categories=list(ACTIVITY_NAMES)),
            "start": rows[:, 3],
            "minutes": rows[:, 4],
            "arrived_at": rows[:, 5],
        }
    )


def revenue_per_chart(scenario: Scenario) -> list[float] | None:
    """Reimbursement of a chart of each type, in chart-type order ($0 for a type not listed); None when off."""
    if scenario.revenue is None:
        return None
    return [scenario.revenue.per_chart.get(kind, 0.0) for kind in scenario.chart_types]


def rows_where(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame.loc[keep]``, or ``frame`` itself when every row is kept (no copy of a table that stays whole)."""
    return frame if keep.all() else frame.loc[keep]


def replication_codes(replication: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each row's place in ``order`` (sorted replications that hold every row's).

    Rows of a task come in replication order, so the replications are
    looked up once per run of equal values rather than once per row.
    """
    if len(replication) < 2 or np.any(replication[1:] < replication[:-1]):
        return np.searchsorted(order, replication)
    starts = np.flatnonzero(np.concatenate(([True], replication[1:] != replication[:-1])))
    sizes = np.diff(np.append(starts, len(replication)))
    return np.repeat(np.searchsorted(order, replication[starts]), sizes)


def day_counter(charts: pd.DataFrame, reps: list[int], n_days: int, n_kinds: int) -> Callable[..., np.ndarray]:
    """A counter of chart events by replication × day × chart type, for the charts of one task.

    ``count(times, weights=None)`` bins each chart's time (minutes; NaN: never) by its day: an array of shape
    (replications, days, chart types), summing ``weights`` when given. Charts open at a starting state's as_of
    arrived before day 0 and count on day 0; work finished after midnight of the last day counts on the last day.
    """
    order = np.asarray(reps)
    if np.any(np.diff(order) <= 0):
        raise ValueError("replications must be given in increasing order")
    n_reps = len(reps)
    r = replication_codes(charts["replication"].to_numpy(), order)  # each chart's replication, numbered from 0
    base = r * ((n_days + 1) * n_kinds) + charts["chart_type"].cat.codes.to_numpy()  # its cell on day 0

    def count(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        day = np.floor(times / DAY)  # numpy's // is several times slower; this is the same exact floor
        day -= day * DAY > times  # where the quotient rounded up to the next whole day (whole days are exact)
        day = np.where(np.isnan(times), n_days, np.clip(day, 0, n_days - 1)).astype(int)
        grid = np.bincount(base + day * n_kinds, weights, minlength=n_reps * (n_days + 1) * n_kinds)
        return grid.reshape(n_reps, n_days + 1, n_kinds)[:, :n_days, :]

    return count


def days_frame(
    charts: pd.DataFrame, kinds: list[str], reps: list[int], n_days: int, revenue: list[float] | None = None
) -> pd.DataFrame:
    """One row per replication × day: arrivals, charts coded, backlog at the end of the day.

    Backlog is every chart that has arrived and is not yet coded (waiting, in
    hand, or on query hold); ``on_hold`` is the part waiting for a physician.
    Work finished after midnight of the last day (the last shift is never
    cut) counts on the last day. With ``revenue`` (dollars per chart by type)
    the table adds ``arrived_dollars`` (the day's arrivals at their
    reimbursement) and ``dnfb_dollars``: the backlog at its reimbursement,
    the revenue discharged and not final-billed for want of coding. When the
    charts have ``billable_at`` (pre-bill audits), a coded chart waiting for
    its audit (or for the rework its audit asked for) is still in DNFB.
    """
    n_reps, n_kinds = len(reps), len(kinds)
    per_day = day_counter(charts, reps, n_days, n_kinds)
    arrived = per_day(charts["arrived_at"].to_numpy())
    coded = per_day(charts["coded_at"].to_numpy())
    sent = per_day(charts["query_sent_at"].to_numpy())
    answered = per_day(charts["query_answered_at"].to_numpy())
    backlog = np.cumsum(arrived, axis=1) - np.cumsum(coded, axis=1)
    on_hold = (np.cumsum(sent, axis=1) - np.cumsum(answered, axis=1)).sum(axis=2)
    out = {
        "replication": np.repeat(reps, n_days),
        "day": np.tile(np.arange(n_days), n_reps),
        "arrived": arrived.sum(axis=2).ravel().astype(int),
        "coded": coded.sum(axis=2).ravel().astype(int),
        "backlog": backlog.sum(axis=2).ravel().astype(int),
        "on_hold": on_hold.ravel().astype(int),
    }
    for i, kind in enumerate(kinds):
        out[f"backlog_{kind}"] = backlog[:, :, i].ravel().astype(int)
    if revenue is not None:
        dollars = np.asarray(revenue, dtype=float)
        out["arrived_dollars"] = (arrived @ dollars).ravel()
        unbilled = backlog
        if "billable_at" in charts.columns:
            unbilled = np.cumsum(arrived, axis=1) - np.cumsum(per_day(charts["billable_at"].to_numpy()), axis=1)
        out["dnfb_dollars"] = (unbilled @ dollars).ravel()
        if "expected_reimbursement" in charts.columns:  # open charts of a state may carry their own dollars
            own = charts["expected_reimbursement"].to_numpy(dtype=float)
            w = np.where(np.isnan(own), dollars[charts["chart_type"].cat.codes.to_numpy()], own)
            billed = charts["billable_at" if "billable_at" in charts.columns else "coded_at"].to_numpy()
            came = per_day(charts["arrived_at"].to_numpy(), w)
            out["arrived_dollars"] = came.sum(axis=2).ravel()
            out["dnfb_dollars"] = (np.cumsum(came, axis=1) - np.cumsum(per_day(billed, w), axis=1)).sum(axis=2).ravel()
    return pd.DataFrame(out)


def turnaround_counts(charts: pd.DataFrame, counted_from: float) -> pd.DataFrame:
    """Charts that count in the turnaround metrics (arrived from run minute ``counted_from``: see
    sim.runs.metrics.counted_from), by arrival-to-coded time in fixed bins (``bin`` -1: still open).

    Reduced where the replications ran, so the turnaround figure needs no
    per-chart table; fixed bins add up exactly across tasks, so the sum is the
    same whatever the number of workers or the size of the tasks.
    """
    arrived = charts["arrived_at"].to_numpy(dtype=float)
    after = arrived >= counted_from
    minutes = (charts["coded_at"].to_numpy(dtype=float) - arrived)[after]  # no copy of the table for two columns
    coded = ~np.isnan(minutes)
    bins = np.floor(minutes[coded] / TURNAROUND_BIN_MINUTES).astype(np.int64)
    index, counts = np.unique(bins, return_counts=True)
    return pd.DataFrame({"bin": np.append(index, -1), "charts": np.append(counts, int((~coded).sum()))})


def turnaround_table(parts: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The tasks' turnaround counts summed per variant: the ``turnaround.csv`` table.

    One row per variant and bin with coded charts (``status`` coded,
    ``from_minutes`` ≤ arrival to coded < ``to_minutes``) and one row of the
    charts still open at the end (``status`` open, no bin); the charts are
    those the turnaround metrics count (after the warm-up; with a starting
    state and no warm-up, the charts open at ``as_of`` too).
    """
    frames = []
    for variant in dict.fromkeys(name for name, _ in parts):
        counts = pd.concat([part for name, part in parts if name == variant]).groupby("bin")["charts"].sum()
        coded = counts.drop(-1, errors="ignore")
        coded = coded[coded > 0]
        edges = coded.index.to_numpy(dtype=float) * TURNAROUND_BIN_MINUTES
        frames.append(pd.DataFrame({
            "variant": variant, "status": ["coded"] * len(coded) + ["open"],
            "from_minutes": np.append(edges, np.nan), "to_minutes": np.append(edges + TURNAROUND_BIN_MINUTES, np.nan),
            "charts": np.append(coded.to_numpy(dtype=np.int64), int(counts.get(-1, 0))),
        }))
    return pd.concat(frames, ignore_index=True)
