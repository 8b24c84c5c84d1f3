"""Charts and the work that will arrive: drawn before the day is simulated.

A chart's type, arrival time, coding time, whether it will need a query and
every other time it will need are drawn when the chart is created, by inverse
transform from one row of uniforms that the chart owns. Rows come from a
stream per chart type and source (``charts.inpatient.daily``, …). The
simulation then only decides *when* things happen, so two scenarios given the
same seed see the same charts (common random numbers).

The charts of many replications are drawn in one step: each replication's
counts, arrival times and rows come from its own streams, then the inverse
transforms and the queue order run once over the whole batch, so the cost
per chart is a few array elements rather than a few numpy calls. A chart's
numbers depend only on its replication's streams, never on the batch. A
replication's charts are columns (:class:`Charts`), sliced from the batch's:
the model reads and writes chart ``i`` as item ``i`` of a list.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.model.streams import Streams
from sim.model.vendor import send_to_vendor
from sim.scenario.calendar import DAY, Calendar
from sim.scenario.config import Scenario
from sim.scenario.realism import iso_date

if TYPE_CHECKING:
    from sim.model.opening import Opening

# Columns of a chart's row of uniforms; a new draw gets a new column at the end.
U_CODING, U_QUERY, U_WRITING, U_COMPLETION, U_ANSWER, U_ORDER, U_TYPE = range(7)
N_UNIFORMS = 7
_INITIAL = -1  # the kind of a login-queue row until U_TYPE picks it

# Columns of Charts made only when first read or written, and what they are then made of:
# a chart's error draw (1.0: never wrong) and its accuracy times (NaN), unless ChartDraws
# draws them; the audit and vendor columns stay empty unless drawn (read only then).
_LATER: dict[str, float | None] = {
    "error_u": 1.0, "detection_delay": math.nan, "rework_time": math.nan, "error_found_at": math.nan,
    "reworked_at": math.nan, "to_audit": None, "audit_time": None, "audited_at": None, "caught": None,
    "outsourced": None, "vendor_error": None,
}


class Charts:
    """The charts of one replication, as columns: chart ``i`` (its id) is item ``i`` of every column.

    What a chart needs is drawn at creation (type, arrival, coding time,
    query, …); what happened to it (opened, queried, answered, coded, by
    whom) is filled by the model as it runs, NaN (or −1 for a coder) until
    it happens. Ids follow queue order, so the worklist orders charts by id
    alone. Columns rather than one object per chart: a replication's charts
    are made in a few list operations, and its tables read whole columns.
    ``charts[i]`` is a read-only view of one chart, for tests and checks.
    """

    __slots__ = (
        "kind", "arrived_at", "coding_time", "needs_query", "writing_time", "completion_time", "answer_delay",
        "started_at", "query_sent_at", "query_answered_at", "resumed_at", "coded_at", "coder", "started_by",
        "error_u", "detection_delay", "rework_time", "error_found_at", "reworked_at",
        "to_audit", "audit_time", "audited_at", "caught", "outsourced", "vendor_error",
    )

    def __init__(
        self, kind: list[int], arrived_at: list[float], coding_time: list[float], needs_query: list[bool],
        writing_time: list[float], completion_time: list[float], answer_delay: list[float],
    ) -> None:
        n = len(kind)
        self.kind = kind
        self.arrived_at = arrived_at
        self.coding_time = coding_time
        self.needs_query = needs_query
        self.writing_time = writing_time
        self.completion_time = completion_time
        self.answer_delay = answer_delay
        self.started_at = [math.nan] * n
        self.query_sent_at = [math.nan] * n
        self.query_answered_at = [math.nan] * n
        self.resumed_at = [math.nan] * n
        self.coded_at = [math.nan] * n
        self.coder = [-1] * n
        self.started_by = [-1] * n
        # The columns of accuracy (sim.model.rework), audits and outsourcing (sim.model.vendor)
        # are made on first use (__getattr__), or drawn by ChartDraws when the scenario has them.

    def __getattr__(self, name: str) -> list:
        """A column not made yet: made now and kept (see _LATER), so most scenarios never make it."""
        if name not in _LATER:
            raise AttributeError(name)
        fill = _LATER[name]
        column = [] if fill is None else [fill] * len(self.kind)
        setattr(self, name, column)
        return column

    def __len__(self) -> int:
        return len(self.kind)

    def __getitem__(self, i: int) -> ChartView:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return ChartView(self, i % len(self))

    def __iter__(self) -> Iterator[ChartView]:
        return (ChartView(self, i) for i in range(len(self)))

    def __add__(self, other: Charts) -> Charts:
        """These charts, then ``other``'s (ids continue): every column joined."""
        out = Charts.__new__(Charts)
        for name in Charts.__slots__:
            setattr(out, name, getattr(self, name) + getattr(other, name))
        return out


class ChartView:
    """One chart of a :class:`Charts`, read by attribute (``view.coded_at``); ``id`` is its place."""

    __slots__ = ("charts", "id")

    def __init__(self, charts: Charts, i: int) -> None:
        self.charts = charts
        self.id = i

    def __getattr__(self, name: str) -> object:
        if name not in Charts.__slots__:
            raise AttributeError(name)
        return getattr(self.charts, name)[self.id]


class ChartDraws:
    """Draws the charts of a scenario's replications, a batch at a time."""

    def __init__(self, scenario: Scenario, seed: int, opening: Opening | None = None) -> None:
        self.scenario = scenario
        self.streams = Streams(seed)
        self.calendar = Calendar(scenario.days, scenario.start_weekday)
        if opening is None and scenario.state is not None:
            from sim.model.opening import Opening

            opening = Opening(scenario, self.calendar)
        self.opening = opening  # the charts open at state.as_of: ids 0 … n−1 of every replication
        self._forecast = _day_factors(scenario)
        self.kinds = list(scenario.chart_types)
        mix = scenario.arrivals.mix
        shares = np.cumsum([mix[k] for k in mix]) if mix else np.ones(1)
        self._mix_cut = shares / shares[-1]
        self._mix_kind = np.array([self.kinds.index(k) for k in mix] or [0])
        self._query_probability = np.array([t.query.probability for t in scenario.chart_types.values()])
        self._n_coders = scenario.n_coders  # a property that walks the teams: read once
        arrivals = scenario.arrivals  # the types that arrive during the run, daily or hourly, in type order
        self._arriving = [(k, kind) for k, kind in enumerate(self.kinds)
                          if kind in arrivals.daily or arrivals.per_hour.get(kind, 0.0) > 0]

    def _sources(self, rep: int) -> list[tuple[int, int, np.ndarray | None, str]]:
        """One replication's sources of charts: (kind, count, arrival minutes or None for 0, stream of their rows).

        The login queue and backlog are one mixed sequence from ``charts.initial``
        (its ``U_TYPE`` column picks the type by ``arrivals.mix``); daily charts
        arrive at 00:00 and hourly ones as a Poisson stream within the window,
        each source of each type from streams of its own, so a change to one
        source does not shift another's draws. Sources without charts are left
        out (their rows' streams are never read).
        """
        scenario, streams, calendar = self.scenario, self.streams, self.calendar
        arrivals = scenario.arrivals
        out: list[tuple[int, int, np.ndarray | None, str]] = []
        if arrivals.at_login_per_coder is not None or arrivals.backlog is not None:
            rng = streams.get(rep, "arrivals.initial")
            total = 0
            if arrivals.at_login_per_coder is not None:
                total += arrivals.at_login_per_coder.total(rng, self._n_coders)
            if arrivals.backlog is not None:
                total += arrivals.backlog.draw(rng)
            if total:
                out.append((_INITIAL, total, None, "charts.initial"))
        for k, kind in self._arriving:
            if kind in arrivals.daily:
                volume = arrivals.daily[kind]
                rng = streams.get(rep, f"arrivals.daily.{kind}")
                factors = self._forecast.get(kind, {})
                counts = [volume.count.draw(rng, factors.get(d, volume.factor(calendar.weekday(d))))
                          for d in range(scenario.days)]
                if n := sum(counts):
                    out.append((k, n, np.repeat(np.arange(scenario.days) * DAY, counts), f"charts.{kind}.daily"))
            rate = arrivals.per_hour.get(kind, 0.0)
            if rate > 0:
                w = arrivals.window
                rng = streams.get(rep, f"arrivals.hourly.{kind}")
                days = calendar.days_on(w.weekdays)
                counts = rng.poisson(rate * (w.end_min - w.start_min) / 60, size=len(days))
                clock = rng.uniform(w.start_min, w.end_min, size=int(counts.sum()))
                times = np.sort(np.repeat(np.array(days, dtype=float) * DAY, counts) + clock)
                if len(times):
                    out.append((k, len(times), times, f"charts.{kind}.hourly"))
        return out

    def batch(self, reps: Sequence[int]) -> list[Charts]:
        """Every chart of each replication in ``reps``, in queue order (by arrival, ties in random order), ids 0, 1, …

        The counts and arrival times of every replication come first, then the
        rows of uniforms are drawn straight into one array for the batch (each
        from its replication's own stream), so the per-replication cost is a
        few stream reads and list slices.
        """
        sources = [(i, *source) for i, r in enumerate(reps) for source in self._sources(r)]
        n_open = len(self.opening) if self.opening is not None else 0
        if not sources:  # no chart arrives: a state's open charts alone
            return [self._finish(r, self.opening.charts(self.streams, r) if n_open else no_charts(), n_open)
                    for r in reps]
        sizes = [n for _, _, n, _, _ in sources]
        u = np.empty((sum(sizes), N_UNIFORMS))
        arrived = np.zeros(len(u))
        get, stop = self.streams.get, 0
        for i, _, n, times, name in sources:
            start, stop = stop, stop + n
            get(reps[i], name).random(out=u[start:stop])
            if times is not None:
                arrived[start:stop] = times
        kind = np.repeat([k for _, k, _, _, _ in sources], sizes)
        rep = np.repeat([i for i, _, _, _, _ in sources], sizes)
        if self.opening is not None:  # what arrived by as_of is in the state's open charts
            later = arrived > self.opening.as_of
            u, kind, arrived, rep = u[later], kind[later], arrived[later], rep[later]
        initial = kind == _INITIAL
        if initial.any():
            pick = np.searchsorted(self._mix_cut, u[initial, U_TYPE], side="right")
            kind[initial] = self._mix_kind[np.minimum(pick, len(self._mix_kind) - 1)]
        coding = np.empty(len(u))
        writing, completion, answer = np.full(len(u), math.nan), np.full(len(u), math.nan), np.full(len(u), math.nan)
        needs = u[:, U_QUERY] < self._query_probability[kind]
        answer_delay = self.scenario.queries.answer_delay
        for k, spec in enumerate(self.scenario.chart_types.values()):
            mine = kind == k
            coding[mine] = spec.coding_time.minutes(u[mine, U_CODING])
            # Query times matter only for charts that will be queried (NaN elsewhere);
            # every chart still owns its uniforms, so the draws stay synchronised.
            queried = mine & needs
            if queried.any():
                q, rows = spec.query, u[queried]
                writing[queried] = q.writing_time.minutes(rows[:, U_WRITING])
                completion[queried] = q.completion_time.minutes(rows[:, U_COMPLETION])
                answer[queried] = answer_delay.minutes(rows[:, U_ANSWER])
        # Charts arriving together (a login queue, a day's discharges) stand in the
        # queue in a random order of their own, not grouped by type.
        order = queue_order(u[:, U_ORDER], arrived, rep)
        kinds, arrivals, codings, queries = (kind[order].tolist(), arrived[order].tolist(), coding[order].tolist(),
                                             needs[order].tolist())
        writings, completions, answers = writing[order].tolist(), completion[order].tolist(), answer[order].tolist()
        out, stop = [], 0
        for r, n in zip(reps, np.bincount(rep, minlength=len(reps)).tolist()):
            start, stop = stop, stop + n
            charts = Charts(kinds[start:stop], arrivals[start:stop], codings[start:stop], queries[start:stop],
                            writings[start:stop], completions[start:stop], answers[start:stop])
            if n_open:
                charts = self.opening.charts(self.streams, r) + charts
            out.append(self._finish(r, charts, n_open))
        return out

    def _finish(self, rep: int, charts: Charts, n_open: int) -> Charts:
        """The draws of the sections the scenario models (errors, audits, a vendor), for every chart."""
        scenario = self.scenario
        if scenario.accuracy is not None:
            self._accuracy(rep, charts)
        if scenario.audits is not None:
            self._audits(rep, charts)
        if scenario.outsourcing is not None:
            self._vendor(rep, charts, n_open)
        return charts

    def _vendor(self, rep: int, charts: Charts, n_open: int) -> None:
        """Which charts go to the vendor and when they come back, from the stream ``charts.vendor`` (sim.model.vendor).

        The charts open at a starting state's ``as_of`` (ids below ``n_open``) are the department's already: a
        chart goes to the vendor at arrival, and theirs was before the run.
        """
        u = self.streams.get(rep, "charts.vendor").random((len(charts), 3))
        send_to_vendor(self.scenario.outsourcing, self.kinds, charts, u, self.calendar.horizon,
                       self.scenario.audits is not None, first=n_open)

    def _accuracy(self, rep: int, charts: Charts) -> None:
        """Each chart's error draw, detection delay and rework time, from a stream of their own.

        ``charts.rework`` is read only when the scenario models errors, so the
        charts' own rows (and every other stream) are the same with and without it.
        """
        accuracy = self.scenario.accuracy
        u = self.streams.get(rep, "charts.rework").random((len(charts), 3))
        delay = accuracy.detection_delay.minutes(u[:, 1]).tolist()
        rework = accuracy.rework_time.minutes(u[:, 2]).tolist()
        charts.error_u, charts.detection_delay, charts.rework_time = u[:, 0].tolist(), delay, rework

    def _audits(self, rep: int, charts: Charts) -> None:
        """Whether each chart is sampled for a pre-bill audit, and how long its audit takes.

        From a stream of its own (``charts.audit``), read only when the scenario
        audits: a chart's draw is the same whatever the share, so a larger share
        audits the same charts and more (common random numbers).
        """
        audits = self.scenario.audits
        u = self.streams.get(rep, "charts.audit").random((len(charts), 2))
        charts.to_audit = (u[:, 0] < audits.share).tolist()
        charts.audit_time = audits.audit_time.minutes(u[:, 1]).tolist()
        charts.audited_at = [math.nan] * len(charts)
        charts.caught = [False] * len(charts)


def _day_factors(scenario: Scenario) -> dict[str, dict[int, float]]:
    """arrivals.volume_forecast as factors on each type's daily mean: chart type → {run day: factor}."""
    out: dict[str, dict[int, float]] = {}
    for row in scenario.arrivals.volume_forecast:
        day = (iso_date(row.date) - iso_date(scenario.start_date)).days  # type: ignore[arg-type]
        mean = scenario.arrivals.daily[row.chart_type].count.expected()
        if 0 <= day < scenario.days:
            out.setdefault(row.chart_type, {})[day] = row.expected / mean if mean > 0 else 0.0
    return out


def queue_order(order_u: np.ndarray, arrived: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """``np.lexsort((order_u, arrived, rep))``, the same permutation in a third of the time.

    Sorting by the uniforms alone is quick and, without ties among them, has
    one answer; a stable sort by (replication, arrival) group then keeps that
    order within each group. The groups are numbered from a lexsort of arrival
    and replication, quick as those come in sorted runs. Tied uniforms (one
    batch in millions) take the plain lexsort.
    """
    by_u = np.argsort(order_u)
    u = order_u[by_u]
    if (u[1:] == u[:-1]).any():
        return np.lexsort((order_u, arrived, rep))
    runs = np.lexsort((arrived, rep))
    new = np.ones(len(runs), dtype=bool)
    new[1:] = (rep[runs[1:]] != rep[runs[:-1]]) | (arrived[runs[1:]] != arrived[runs[:-1]])
    group = np.empty(len(runs), dtype=np.uint16 if new.sum() <= 1 << 16 else np.intp)  # uint16: a radix sort
    group[runs] = np.cumsum(new) - 1
    return by_u[np.argsort(group[by_u], kind="stable")]


def no_charts() -> Charts:
    """A replication without charts."""
    return Charts([], [], [], [], [], [], [])


def draw_charts(scenario: Scenario, seed: int, rep: int) -> Charts:
    """Every chart of one replication, in queue order (by arrival time, ties in random order), ids 0, 1, …"""
    return ChartDraws(scenario, seed).batch([rep])[0]
