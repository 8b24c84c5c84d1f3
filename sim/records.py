"""Plain records the model fills while it runs: no pandas inside the loop."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.charts import Chart


class CoderDay:
    """How one coder spent one working day (minutes), filled by the coder process."""

    __slots__ = (
        "day", "coder", "paid", "overtime", "coding", "query_writing",
        "interrupted", "on_break", "idle", "interruptions", "queries_sent", "coded",
    )

    def __init__(self, day: int, coder: int, paid: float, overtime: float, n_types: int) -> None:
        self.day = day
        self.coder = coder
        self.paid = paid
        self.overtime = overtime
        self.coding = 0.0
        self.query_writing = 0.0
        self.interrupted = 0.0
        self.on_break = 0.0
        self.idle = 0.0
        self.interruptions = 0
        self.queries_sent = 0
        self.coded = [0] * n_types


@dataclass
class Records:
    """Everything one replication produced: its charts and its coder-days."""

    replication: int
    horizon: float
    charts: list[Chart]
    coder_days: list[CoderDay] = field(default_factory=list)
