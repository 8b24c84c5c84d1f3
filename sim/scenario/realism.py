"""The sections that make a scenario a department as coding managers run it.

Each is off unless the scenario sets it, so a scenario without them keeps its
numbers: absence (shrinkage), the revenue that waits on coding (DNFB),
coding errors found later and reworked, pre-bill audits, and a season when
coding takes longer (the yearly code-set update). Each names its unit and,
where no documented number exists, its value is an assumption the scenario
file labels in ``sources:``.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from pydantic import Field, field_validator

from sim.scenario.distributions import TimeDistribution
from sim.scenario.schema import MAX_NAME
from sim.scenario.schema import FrozenModel as _Frozen


class Absence(_Frozen):
    """Coders away from work: planned leave in blocks, and unplanned absence day by day."""

    planned_days_per_year: float = Field(
        0.0, ge=0, le=260,
        description="working days of planned leave per coder per year (52 weeks of the shift's workdays); "
        "booked in blocks of block_days, scaled to the horizon",
    )
    block_days: int = Field(5, ge=1, le=60, description="consecutive working days per block of planned leave")
    unplanned_probability: float = Field(
        0.0, ge=0, le=0.5, description="chance that a coder is absent on any working day not already on leave"
    )
    paid: bool = Field(True, description="absent days are paid (they count in labour cost and shrinkage)")


class Revenue(_Frozen):
    """What a coded chart lets the hospital bill: the dollars waiting on coding (DNFB)."""

    per_chart: dict[str, float] = Field(
        min_length=1, description="reimbursement per chart by type, $ (a type left out is worth $0)"
    )

    @field_validator("per_chart")
    @classmethod
    def _dollars(cls, v: dict[str, float]) -> dict[str, float]:
        for k, dollars in v.items():
            if not 0 <= dollars <= 10_000_000:
                raise ValueError(f"reimbursement for {k} must be between 0 and 10000000 $ (got {dollars})")
        return v


class Accuracy(_Frozen):
    """Coding errors: some coded charts come back, after a while, to be reworked."""

    error_probability: dict[str, float] = Field(
        min_length=1, description="share of charts of each type coded with an error (a type left out: none)"
    )
    level_factor: dict[str, float] = Field(
        default_factory=dict, description="multiplier of the error probability by coder level (default 1)"
    )
    detection_delay: TimeDistribution = Field(
        default_factory=lambda: {"dist": "exponential", "mean": 14, "unit": "days"},
        description="from coded to the error found (a denial or an audit), after which the chart is reworked",
    )
    rework_time: TimeDistribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 10, "high": 20},
        description="minutes to rework a chart whose error was found",
    )

    @field_validator("error_probability")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        for k, p in v.items():
            if not 0 <= p <= 1:
                raise ValueError(f"probability for {k} must be between 0 and 1 (got {p})")
        return v

    @field_validator("level_factor")
    @classmethod
    def _factors(cls, v: dict[str, float]) -> dict[str, float]:
        for k, f in v.items():
            if not 0 <= f <= 100:
                raise ValueError(f"factor for {k} must be between 0 and 100 (got {f})")
        return v

    def probability(self, kind: str, level: str) -> float:
        """Chance that a coder of ``level`` codes a chart of type ``kind`` with an error."""
        return min(1.0, self.error_probability.get(kind, 0.0) * self.level_factor.get(level, 1.0))


def iso_text(v: Any) -> Any:
    """A date YAML read unquoted (2026-10-01) as its ISO text; anything else unchanged."""
    return v.isoformat() if type(v) is datetime.date else v


def iso_date(text: str) -> datetime.date:
    """'2026-10-01' → a date; anything else is refused."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise ValueError(f"must be a date written YYYY-MM-DD, e.g. 2026-10-01 (got {text!r})")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_DAY = re.compile(r"([0-9]{2})-([0-9]{2})")


class Season(_Frozen):
    """A stretch of days when coding takes longer, e.g. the annual code-set update (ICD-10 each 1 October)."""

    start: int | str = Field(
        "10-01",
        description="first day of the season: a day of the run (an integer, 0 = the first day), a date "
        "(2026-10-01) or a month and day ('10-01', its first occurrence on or after start_date); "
        "a date needs the scenario's start_date and must fall inside the horizon. Default: 1 October",
    )
    weeks: float = Field(gt=0, le=52, description="how long it lasts, weeks (calendar)")
    coding_time_factor: float = Field(gt=0, le=10, description="coding times are multiplied by this inside the season")

    _text = field_validator("start", mode="before")(iso_text)

    @field_validator("start")
    @classmethod
    def _start(cls, v: int | str) -> int | str:
        if isinstance(v, int) and not 0 <= v <= 3650:
            raise ValueError(f"a day of the run must be between 0 and 3650 (got {v})")
        if isinstance(v, str) and not (_ISO_DATE.fullmatch(v) or _MONTH_DAY.fullmatch(v)):
            raise ValueError(f"must be a day of the run (0, 1, …), a date 2026-10-01 or a month-day '10-01' (got {v!r})")
        return v

    def first_day(self, start_date: str | None) -> int:
        """The calendar day of the run the season starts on (``start_date``: the date of day 0, ISO).

        Raises ValueError when ``start`` is a date and ``start_date`` is not given, or the date is not one.
        """
        if isinstance(self.start, int):
            return self.start
        if start_date is None:
            raise ValueError(
                f"season.start: {self.start!r} is a date; give start_date (the date of day 0, e.g. 2026-07-01) "
                "or write the start as a day of the run"
            )
        first = iso_date(start_date)
        if m := _MONTH_DAY.fullmatch(self.start):
            month, day = int(m[1]), int(m[2])
            for year in range(first.year, first.year + 9):  # 29 February comes back within 8 years
                try:
                    when = datetime.date(year, month, day)
                except ValueError:
                    if not (1 <= month <= 12 and 1 <= day <= 29):
                        raise ValueError(f"season.start: {self.start!r} is not a month and day (MM-DD)") from None
                    continue
                if when >= first:
                    break
        else:
            try:
                when = iso_date(self.start)
            except ValueError:
                raise ValueError(f"season.start: {self.start!r} is not a calendar date") from None
        return (when - first).days

    def factor(self, day: int, first: int) -> float:
        """Coding-time multiplier on calendar ``day``, for a season starting on day ``first``."""
        return self.coding_time_factor if first <= day < first + 7 * self.weeks else 1.0


class Audits(_Frozen):
    """Internal pre-bill audits: a share of coded charts is reviewed by a team of auditors before billing.

    A sampled chart, once coded, waits for an auditor and is not billable
    until audited; an error in it is caught there and the chart goes to be
    reworked at once. Errors in charts not audited are found later (a denial).
    """

    share: float = Field(
        ge=0, le=1, description="chance that a coded chart is sampled for a pre-bill audit (the chart's own draw)"
    )
    team: str = Field(
        min_length=1, max_length=MAX_NAME,
        description="the team in coders.teams whose coders audit; they take waiting audits before charts",
    )
    audit_time: TimeDistribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 10, "high": 15},
        description="minutes to audit one chart at speed 1.0 (divided by the auditor's speed)",
    )
