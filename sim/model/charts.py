"""Charts and the work that will arrive: drawn before the day is simulated.

A chart's type, arrival time, coding time, whether it will need a query and
every other time it will need are drawn when the chart is created, by inverse
transform from one row of uniforms that the chart owns. Rows come from a
stream per chart type and source (``charts.inpatient.daily``, …). The
simulation then only decides *when* things happen, so two scenarios given the
same seed see the same charts (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np

from sim.calendar import DAY, Calendar
from sim.distributions import TimeDistribution
from sim.scenario import ChartType, Scenario
from sim.streams import stream

# Columns of a chart's row of uniforms; a new draw gets a new column at the end.
U_CODING, U_QUERY, U_WRITING, U_COMPLETION, U_ANSWER, U_ORDER, U_TYPE = range(7)
N_UNIFORMS = 7


class Chart:
    """One chart: what it needs (drawn at creation) and what happened to it."""

    __slots__ = (
        "id", "kind", "arrived_at", "coding_time", "needs_query", "writing_time",
        "completion_time", "answer_delay", "started_at", "query_sent_at",
        "query_answered_at", "resumed_at", "coded_at", "coder", "started_by",
    )

    def __init__(
        self, kind: int, arrived_at: float, coding_time: float, needs_query: bool,
        writing_time: float, completion_time: float, answer_delay: float,
    ) -> None:
        self.id = -1
        self.kind = kind
        self.arrived_at = arrived_at
        self.coding_time = coding_time
        self.needs_query = needs_query
        self.writing_time = writing_time
        self.completion_time = completion_time
        self.answer_delay = answer_delay
        nan = math.nan
        self.started_at = nan
        self.query_sent_at = nan
        self.query_answered_at = nan
        self.resumed_at = nan
        self.coded_at = nan
        self.coder = -1
        self.started_by = -1

    def __lt__(self, other: Chart) -> bool:
        """Queue order: a chart that arrived earlier (or earlier in its batch) comes first."""
        return self.id < other.id


def _arrival_times(scenario: Scenario, calendar: Calendar, kind: str, seed: int, rep: int) -> dict[str, np.ndarray]:
    """Arrival minutes of the charts of one type that arrive during the run, by source.

    Sources: ``daily`` (at 00:00 of each day) and ``hourly`` (Poisson during
    the window). Each source's charts draw their attributes from a stream of
    their own, so a change to one source does not shift the other's draws.
    """
    arrivals = scenario.arrivals
    sources = {}
    if kind in arrivals.daily:
        volume = arrivals.daily[kind]
        rng = stream(seed, rep, f"arrivals.daily.{kind}")
        counts = [volume.count.draw(rng, volume.factor(calendar.weekday(d))) for d in range(scenario.days)]
        sources["daily"] = np.repeat(np.arange(scenario.days) * DAY, counts)
    rate = arrivals.per_hour.get(kind, 0.0)
    if rate > 0:
        rng = stream(seed, rep, f"arrivals.hourly.{kind}")
        w = arrivals.window
        parts = []
        for d in calendar.days_on(w.weekdays):
            n = int(rng.poisson(rate * (w.end_min - w.start_min) / 60))
            times = rng.uniform(w.start_min, w.end_min, size=n)
            times.sort()
            parts.append(calendar.at(d, times))
        sources["hourly"] = np.concatenate(parts) if parts else np.zeros(0)
    return sources


def _initial_queue(scenario: Scenario, seed: int, rep: int) -> tuple[np.ndarray, np.ndarray]:
    """The charts waiting at the start (every coder's login queue plus any backlog).

    The queue is one mixed sequence: its length comes from ``arrivals.initial``,
    and each position owns a row of uniforms from ``charts.initial``, whose
    ``U_TYPE`` column picks the chart type by ``arrivals.mix``. Returns the
    rows and the chart-type index of each.
    """
    arrivals = scenario.arrivals
    if arrivals.at_login_per_coder is None and arrivals.backlog is None:
        return np.zeros((0, N_UNIFORMS)), np.zeros(0, dtype=int)
    rng = stream(seed, rep, "arrivals.initial")
    total = 0
    if arrivals.at_login_per_coder is not None:
        total += arrivals.at_login_per_coder.total(rng, scenario.n_coders)
    if arrivals.backlog is not None:
        total += arrivals.backlog.draw(rng)
    u = stream(seed, rep, "charts.initial").random((total, N_UNIFORMS))
    names = list(scenario.chart_types)
    mixed = list(arrivals.mix)
    shares = np.cumsum([arrivals.mix[k] for k in mixed])
    pick = np.minimum(np.searchsorted(shares / shares[-1], u[:, U_TYPE], side="right"), len(mixed) - 1)
    return u, np.array([names.index(k) for k in mixed])[pick]


def _charts(kind: int, spec: ChartType, answer_delay: TimeDistribution, times: np.ndarray, u: np.ndarray) -> list[Chart]:
    """Charts of one type arriving at ``times``, each with its row of uniforms ``u``."""
    n = len(times)
    q = spec.query
    coding = spec.coding_time.minutes(u[:, U_CODING]).tolist()
    needs = u[:, U_QUERY] < q.probability
    # Query times matter only for charts that will be queried (NaN elsewhere);
    # every chart still owns its uniforms, so the draws stay synchronised.
    writing, completion, answer = [math.nan] * n, [math.nan] * n, [math.nan] * n
    if needs.any():
        queried, rows = u[needs], np.flatnonzero(needs).tolist()
        for column, dist, values in (
            (U_WRITING, q.writing_time, writing),
            (U_COMPLETION, q.completion_time, completion),
            (U_ANSWER, answer_delay, answer),
        ):
            for i, x in zip(rows, dist.minutes(queried[:, column]).tolist()):
                values[i] = x
    return list(map(Chart, [kind] * n, times.tolist(), coding, needs.tolist(), writing, completion, answer))


def draw_charts(scenario: Scenario, seed: int, rep: int) -> list[Chart]:
    """Every chart of one replication, in queue order (by arrival time, ties in random order), ids 0, 1, …"""
    first_rows, first_kinds = _initial_queue(scenario, seed, rep)
    calendar = Calendar(scenario.days, scenario.start_weekday)
    charts: list[Chart] = []
    arrived, order = [], []
    for k, (kind, spec) in enumerate(scenario.chart_types.items()):
        sources = _arrival_times(scenario, calendar, kind, seed, rep)
        rows = {name: stream(seed, rep, f"charts.{kind}.{name}").random((len(t), N_UNIFORMS))
                for name, t in sources.items() if len(t)}
        if len(first_rows):
            mine = first_rows[first_kinds == k]
            sources["initial"], rows["initial"] = np.zeros(len(mine)), mine
        for name, u in rows.items():
            charts.extend(_charts(k, spec, scenario.queries.answer_delay, sources[name], u))
            arrived.append(sources[name])
            order.append(u[:, U_ORDER])
    if not charts:
        return charts
    # Charts arriving together (a login queue, a day's discharges) stand in the
    # queue in a random order of their own, not grouped by type.
    queue_order = np.lexsort((np.concatenate(order), np.concatenate(arrived)))
    charts = [charts[i] for i in queue_order.tolist()]
    for i, chart in enumerate(charts):
        chart.id = i
    return charts

