"""Plain records the model fills while it runs: no pandas inside the loop."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.charts import Charts

BREAK, BILLING_QUESTION = 0, 1  # kinds of Activity
ACTIVITY_NAMES = ("break", "billing_question")


class CoderDay:
    """How one coder spent one working day (minutes), filled by the coder process.

    ``login`` to ``logout`` is the time at work; ``paid`` equals it, and the
    time-use fields (coding, query_writing, interrupted, on_break, idle and
    auditing) add up to it. ``overtime`` is the extra time granted that morning and
    ``after_shift`` the time past the end of shift and overtime spent
    finishing the chart in hand or answering questions; a coder who logs in
    after the shift's end (still on yesterday's chart, which was yesterday's
    after-shift time) has only the overtime left after login, and no more
    after-shift time than time at work.

    A coder away for the day (see sim.model.absence) has a coder-day with
    ``absent`` set to the shift's minutes, no work, and ``paid`` equal to
    ``absent`` when absence is paid, else 0. ``rework`` is the part of
    ``coding`` spent reworking charts whose errors were found (``reworked``
    charts); ``errors`` counts the charts the coder coded with an error.
    ``auditing`` is the time spent auditing coded charts before billing
    (``audits`` of them); 0 unless the coder's team audits.
    """

    __slots__ = (
        "day", "coder", "login", "logout", "paid", "overtime", "after_shift", "coding", "query_writing",
        "interrupted", "on_break", "idle", "interruptions", "queries_sent", "coded", "absent",
        "rework", "reworked", "errors", "auditing", "audits",
    )

    def __init__(self, day: int, coder: int, login: float, overtime: float, n_types: int) -> None:
        self.day = day
        self.coder = coder
        self.login = login
        self.logout = login
        self.paid = 0.0
        self.overtime = overtime
        self.after_shift = 0.0
        self.coding = 0.0
        self.query_writing = 0.0
        self.interrupted = 0.0
        self.on_break = 0.0
        self.idle = 0.0
        self.interruptions = 0
        self.queries_sent = 0
        self.coded = [0] * n_types
        self.absent = 0.0
        self.rework = 0.0
        self.reworked = 0
        self.errors = 0
        self.auditing = 0.0
        self.audits = 0


# One break taken or one billing question answered: (coder, day, kind, start, minutes, arrived).
# ``arrived`` is when a question came (a break's set time for a break); ``start`` when it was dealt with.
Activity = tuple[int, int, int, float, float, float]


@dataclass
class Records:
    """Everything one replication produced: its charts, coder-days, breaks and billing questions."""

    replication: int
    horizon: float
    charts: Charts
    coder_days: list[CoderDay] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    audits: bool = False  # the scenario audits: charts carry their audit fields
    outsourcing: bool = False  # the scenario outsources: charts carry outsourced and vendor_error
