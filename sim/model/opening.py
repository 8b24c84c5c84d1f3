"""Starting a replication from the department's real state (``state:`` in the scenario).

The run starts at ``as_of``. Every chart open then enters at time ``as_of``
with its original arrival (negative run minutes for charts that arrived
before the day of ``as_of``), so turnaround counts from the real arrival:

- a chart waiting is in its type's queue, oldest first like any other;
- a chart a coder has opened (``started_by``) is in that coder's hands: the
  coder finishes it before taking another, at the next working time (its
  remaining work is a whole coding time: the file does not say how far the
  coder got, so the estimate errs long);
- a chart on hold (``query_sent_at``) waits for the rest of its physician's
  answer, then needs only its completion; one already answered
  (``query_answered_at``) waits with the answered queries for its completion.

The rest of an answer is drawn from the answer-delay distribution
*conditioned on the time already waited* w: with F the delay's distribution
function and the chart's own uniform u, the delay is
D = F⁻¹(F(w) + u·(1 − F(w))) and the chart waits D − w more. This is the
inverse transform of the delay given D > w, so a chart held long under a
heavy-tailed delay is expected to wait long still, and under the exponential
(memoryless) delay the rest has the full delay's distribution. F(w) is found
by bisection on F⁻¹ (every distribution has one; no closed form needed).
With physician hours, w and the rest count only physician working time. A
chart held longer than any delay the distribution allows (F(w) = 1) is
answered at once. Each open chart's numbers come from a row of uniforms of
its own, from the stream ``charts.open``, so the open charts never shift the
draws of the charts that arrive later.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import simpy

from sim.model.charts import N_UNIFORMS, U_ANSWER, U_CODING, U_COMPLETION, U_QUERY, U_WRITING, Charts, no_charts
from sim.model.streams import Streams
from sim.model.worklist import Worklist
from sim.scenario.calendar import DAY, Calendar, Shift, day_of
from sim.scenario.config import Scenario, Window
from sim.scenario.distributions import TimeDistribution
from sim.scenario.state import roster

_BISECTIONS = 60  # halvings of [0, 1]: F(w) to well below a float's resolution near 1


def delay_cdf(delay: TimeDistribution, waited: np.ndarray) -> np.ndarray:
    """F(w), the share of delays at most ``waited`` minutes, by bisection on the inverse transform."""
    low, high = np.zeros(len(waited)), np.ones(len(waited))
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        below = delay.minutes(mid) <= waited
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return low


def remaining_delay(delay: TimeDistribution, waited: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The rest of each delay given it has lasted ``waited`` minutes: F⁻¹(F(w) + u(1 − F(w))) − w, ≥ 0."""
    if len(waited) == 0:
        return np.zeros(0)
    f = delay_cdf(delay, waited)
    over = f >= 1.0 - 1e-12  # waited past every delay the distribution allows: answered at once
    total = delay.minutes(np.minimum(f + u * (1 - f), np.nextafter(1.0, 0.0)))
    return np.where(over, 0.0, np.maximum(0.0, total - waited))


def working_minutes(since: float, until: float, hours: Window, calendar: Calendar) -> float:
    """Minutes of the daily window ``hours`` on its weekdays between run minutes ``since`` and ``until``."""
    from sim.scenario.calendar import WEEKDAYS

    open_days = {WEEKDAYS.index(w) for w in hours.weekdays}
    total = 0.0
    for day in range(day_of(since), day_of(until) + 1):
        if calendar.weekday(day) in open_days:
            opens, closes = day * DAY + hours.start_min, day * DAY + hours.end_min
            total += max(0.0, min(closes, until) - max(opens, since))
    return total


class Opening:
    """The charts open at ``as_of``, ordered by arrival (the file's order among ties), ready for each replication."""

    def __init__(self, scenario: Scenario, calendar: Calendar) -> None:
        state = scenario.state
        assert state is not None
        self.scenario = scenario
        self.as_of = state.as_of_minute
        kinds = list(scenario.chart_types)
        place = roster(scenario)
        rows = sorted(enumerate(state.open_charts), key=lambda r: (state.minutes(r[1].arrived_at), r[0]))
        charts = [c for _, c in rows]
        nan = math.nan
        self.source_ids: list[str] = [c.chart_id for c in charts]
        self.kind = np.array([kinds.index(c.chart_type) for c in charts], dtype=int)
        self.arrived = np.array([state.minutes(c.arrived_at) for c in charts], dtype=float)
        self.sent = np.array([state.minutes(c.query_sent_at) if c.query_sent_at else nan for c in charts], dtype=float)
        self.answered = np.array([state.minutes(c.query_answered_at) if c.query_answered_at else nan for c in charts],
                                 dtype=float)
        self.hand = np.array([place[c.started_by] if c.started_by else -1 for c in charts], dtype=int)
        self.dollars = np.array([nan if c.expected_reimbursement is None else c.expected_reimbursement for c in charts],
                                dtype=float)
        self.queried = ~np.isnan(self.sent)  # on hold, or answered and waiting for completion
        self.held = self.queried & np.isnan(self.answered)
        hours = scenario.queries.physician_hours
        self.waited = np.array([
            working_minutes(s, self.as_of, hours, calendar) if hours is not None else self.as_of - s
            for s in self.sent[self.held]
        ], dtype=float)
        self._p_query = np.array([t.query.probability for t in scenario.chart_types.values()])

    def __len__(self) -> int:
        return len(self.source_ids)

    def charts(self, streams: Streams, rep: int) -> Charts:
        """This replication's open charts, ids 0 … n−1, their times drawn from ``charts.open``."""
        n = len(self)
        if n == 0:
            return no_charts()
        u = streams.get(rep, "charts.open").random((n, N_UNIFORMS))
        kind, held = self.kind, self.held
        coding = np.empty(n)
        writing, completion, answer = np.full(n, math.nan), np.full(n, math.nan), np.full(n, math.nan)
        needs = self.queried | (u[:, U_QUERY] < self._p_query[kind])
        delay = self.scenario.queries.answer_delay
        for k, spec in enumerate(self.scenario.chart_types.values()):
            mine = kind == k
            coding[mine] = spec.coding_time.minutes(u[mine, U_CODING])
            queried = mine & needs
            writing[queried] = spec.query.writing_time.minutes(u[queried, U_WRITING])
            completion[queried] = spec.query.completion_time.minutes(u[queried, U_COMPLETION])
            answer[queried] = delay.minutes(u[queried, U_ANSWER])
        answer[held] = remaining_delay(delay, self.waited, u[held, U_ANSWER])
        out = Charts(kind.tolist(), self.arrived.tolist(), coding.tolist(), needs.tolist(),
                     writing.tolist(), completion.tolist(), answer.tolist())
        for i, (sent, back, coder) in enumerate(zip(self.sent.tolist(), self.answered.tolist(), self.hand.tolist())):
            if sent == sent:  # queried before as_of (the file gives no opening time: the query's stands for it)
                out.started_at[i] = out.query_sent_at[i] = sent
                out.query_answered_at[i] = back
            elif coder >= 0:
                out.started_by[i] = coder
        return out

    def start(self, env: simpy.Environment, worklist: Worklist, charts: Charts,
              answer_at: Callable[[float, float], float]) -> int:
        """Put this replication's open charts (the first ``len(self)``) where they stand; returns how many."""
        n = len(self)
        waiting = []
        for chart in range(n):
            if charts.query_answered_at[chart] == charts.query_answered_at[chart]:  # answered: waits for its completion
                worklist.restock(chart)
            elif charts.query_sent_at[chart] == charts.query_sent_at[chart]:  # on hold: the rest of the answer from as_of
                answer = env.timeout(answer_at(self.as_of, charts.answer_delay[chart]) - env.now)
                answer.callbacks.append(lambda _, c=chart: worklist.give_back(c))
            elif charts.started_by[chart] >= 0:
                worklist.hand(chart, charts.started_by[chart])
            else:
                waiting.append(chart)
        worklist.stock(waiting)
        return n

    def cut(self, shifts: list[Shift]) -> list[Shift]:
        """The shifts from ``as_of`` on: one under way at ``as_of`` starts there, without its earlier breaks."""
        out = []
        for s in shifts:
            if s.end <= self.as_of:
                continue
            if s.start < self.as_of:
                s = Shift(s.day, self.as_of, s.end, tuple(b for b in s.breaks if b[0] >= self.as_of))
            out.append(s)
        return out
