"""The scenario file: what a user writes, validated into a frozen config.

A scenario is YAML. Every setting has a default, a unit and a meaning (see
README and ``scenarios/baseline.yaml``). Unknown keys are errors, so a typo
never passes silently. ``load_scenario`` refuses bad input with a
:class:`ScenarioError` whose message is one line naming the file, the field
and what is allowed.

Careless and hostile files are refused before they cost anything. Reading
is sim.scenario.files's: only a regular file under ``MAX_BYTES`` is read (a
device or pipe never is), ``extends:`` is followed at most 5 deep, YAML
nesting, alias expansion and duplicate keys are bounded or refused while
parsing. Here no value is coerced (``"3"`` and ``yes`` are not numbers), YAML
1.1 surprises (``no`` read as false, ``16:30`` as 990) are explained, every
number is bounded so nothing overflows or divides by zero, and the what-ifs
are counted before any is built. The limits are the ``MAX_*`` constants (here
and in sim.scenario.files); the one-line refusals are sim.scenario.errors's.

Variants and sweeps (what-ifs, sim.scenario.whatifs) are overrides by dotted
path applied to the raw file before validation, so every variant is validated
like a scenario of its own.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.scenario.bundled import resolve
from sim.scenario.calendar import WEEKDAYS, Calendar, clock_minutes
from sim.scenario.distributions import CountDistribution, FixedCount, TimeDistribution
from sim.scenario.economics import Costs, Outsourcing, check_sections
from sim.scenario.errors import ScenarioError, first_error
from sim.scenario.files import YamlRefused, read_scenario_file
from sim.scenario.levers import check_levers
from sim.scenario.realism import Absence, Accuracy, Audits, Revenue, Season, iso_date, iso_text
from sim.scenario.schema import MAX_NAME
from sim.scenario.schema import FrozenModel as _Frozen
from sim.scenario.state import DayVolume, Leave, State, check_start, follow_as_of
from sim.scenario.whatifs import Sweep, Variant, set_path

MAX_CHARTS = 5_000_000  # per replication: beyond this a run would not fit in memory
MAX_QUESTIONS = 5_000_000  # expected billing questions per replication
MAX_CODER_DAYS = 1_000_000  # coders × working days per replication
MAX_POINTS = 1_000  # variants and sweep points in all
BASE = "base"  # the name the runner gives the base scenario; no variant may take it


def _distinct_weekdays(days: list[str]) -> list[str]:
    if len(set(days)) < len(days):
        raise ValueError(f"each weekday may appear once (got {', '.join(days)})")
    return days


ClockTime = str


class _ClockRange(_Frozen):
    """A daily span from ``start`` to ``end`` ('HH:MM', end up to '24:00')."""

    start: ClockTime = "08:00"
    end: ClockTime = "17:00"

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_minutes(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> _ClockRange:
        if self.start_min >= self.end_min:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        return self

    @property
    def start_min(self) -> float:
        return clock_minutes(self.start)

    @property
    def end_min(self) -> float:
        return clock_minutes(self.end)


class Window(_ClockRange):
    """A daily time window on some weekdays, e.g. physician working hours."""

    weekdays: list[Literal[WEEKDAYS]] = Field(default_factory=lambda: list(WEEKDAYS[:5]))  # type: ignore[valid-type]

    _distinct = field_validator("weekdays")(_distinct_weekdays)


class Break(_Frozen):
    """A break taken once the chart in hand is finished, at or after ``at``."""

    at: ClockTime
    minutes: float = Field(gt=0, le=480)
    name: str = Field("break", min_length=1, max_length=MAX_NAME)

    @field_validator("at")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_minutes(v)
        return v

    @property
    def at_min(self) -> float:
        return clock_minutes(self.at)


class Query(_Frozen):
    """Physician query for one chart type (documented: inpatient 12–20 % in mature programs)."""

    probability: float = Field(0.0, ge=0, le=1, description="share of charts whose documentation is ambiguous")
    writing_time: TimeDistribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 3, "high": 7},
        description="minutes to write the query in the EHR (assumption)",
    )
    completion_time: TimeDistribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 3, "high": 6},
        description="minutes to finish the chart once the answer is back (assumption)",
    )


class ChartType(_Frozen):
    """One kind of chart: how long it takes and how often it needs a query."""

    coding_time: TimeDistribution
    query: Query = Field(default_factory=Query)


class DailyVolume(_Frozen):
    """New charts of one type landing at 00:00 of each calendar day."""

    count: CountDistribution
    weekday_factor: dict[Literal[WEEKDAYS], float] = Field(default_factory=dict)  # type: ignore[valid-type]

    @field_validator("weekday_factor")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        for day, f in v.items():
            if f < 0 or f > 100:
                raise ValueError(f"factor for {day} must be between 0 and 100 (got {f})")
        return v

    def factor(self, weekday: int) -> float:
        return self.weekday_factor.get(WEEKDAYS[weekday], 1.0)


class Arrivals(_Frozen):
    """Where charts come from: the queue at login, daily volume, arrivals during the day."""

    mix: dict[str, float] = Field(
        default_factory=dict, description="shares by chart type for at_login and backlog"
    )
    at_login_per_coder: CountDistribution | None = Field(
        None, description="charts in each coder's queue at the first login (documented: 25–40)"
    )
    backlog: CountDistribution | None = Field(None, description="charts waiting when the run starts")
    daily: dict[str, DailyVolume] = Field(default_factory=dict)
    per_hour: dict[str, float] = Field(
        default_factory=dict, description="Poisson arrivals per hour by type, inside window"
    )
    window: Window = Field(
        default_factory=lambda: {"start": "00:00", "end": "24:00", "weekdays": list(WEEKDAYS)}
    )
    volume_forecast: list[DayVolume] = Field(
        default_factory=list, max_length=100_000,
        description="expected charts by date and type, in place of daily's weekday means (in a file: a CSV path)",
    )

    @field_validator("mix")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        if v and (any(s < 0 for s in v.values()) or not math.isclose(sum(v.values()), 1.0, abs_tol=1e-6)):
            raise ValueError(f"shares must be ≥ 0 and add up to 1 (they add up to {sum(v.values()):g})")
        return v

    @field_validator("per_hour")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for k, r in v.items():
            if not 0 <= r <= 10_000:
                raise ValueError(f"rate for {k} must be between 0 and 10000 per hour (got {r})")
        return v


class Level(_Frozen):
    """An experience level: speed factor and annual salary."""

    speed: float = Field(ge=0.01, le=10, description="work-rate multiplier (1.0 = the documented times)")
    salary: float = Field(ge=0, le=10_000_000, description="annual salary, $")


def _default_levels() -> dict[str, Level]:
    # Salaries: midpoints of the documented BLS 2024 pay bands (documented).
    # Speeds: assumption, no published figure ties experience to speed.
    return {
        "entry": Level(speed=0.85, salary=36_000),
        "mid": Level(speed=1.0, salary=48_780),
        "experienced": Level(speed=1.15, salary=64_000),
    }


class Ramp(_Frozen):
    """New hires: they start on ``start_day`` at a fraction of their speed and reach it linearly."""

    start_fraction: float = Field(0.5, ge=0.05, le=1, description="share of full speed on the first day")
    weeks: float = Field(6, ge=0, le=104, description="weeks (calendar) from the first day to full speed")
    start_day: int = Field(0, ge=0, le=3650, description="first day the team works (calendar day of the run)")

    def fraction(self, day: int) -> float:
        """Share of full speed on calendar ``day`` (from ``start_day`` on)."""
        if self.weeks == 0:
            return 1.0
        return self.start_fraction + (1 - self.start_fraction) * min(1.0, (day - self.start_day) / (7 * self.weeks))


class Team(_Frozen):
    """Coders who share a level, a speed and the chart types they may code."""

    count: int = Field(1, ge=0, le=10_000)
    level: str = "mid"
    speed: float | None = Field(None, ge=0.01, le=10, description="overrides the level's speed")
    salary: float | None = Field(None, ge=0, le=10_000_000, description="overrides the level's salary")
    skills: list[str] | None = Field(None, description="chart types this team may code; null = all")
    ramp: Ramp | None = Field(None, description="new hires: first working day and speed ramp-up; null = working at full speed from day 0")
    names: list[str] | None = Field(
        None, description="the coders' names in place order, for leave and open-chart files (team.place works too)"
    )
    start_date: str | None = Field(None, description="first day the team works, YYYY-MM-DD (a hire); needs start_date")
    end_date: str | None = Field(None, description="last day the team works, YYYY-MM-DD (a leaver); needs start_date")

    _dates = field_validator("start_date", "end_date", mode="before")(iso_text)

    @field_validator("start_date", "end_date")
    @classmethod
    def _date(cls, v: str | None) -> str | None:
        if v is not None:
            iso_date(v)
        return v

    @model_validator(mode="after")
    def _names(self) -> Team:
        if self.names is not None:
            if len(self.names) > self.count:
                raise ValueError(f"names: {len(self.names)} names for {self.count} coders; at most one each")
            _check_names("names", self.names, dots=False)
        return self


class Coders(Team):
    """The coding team; ``teams`` adds further named teams beside the main one."""

    teams: dict[str, Team] = Field(default_factory=dict)
    policy: Literal["oldest_first", "returns_first", "type_priority"] = "oldest_first"
    priority: list[str] = Field(default_factory=list, description="type order for policy type_priority")
    allow_uncoded_types: bool = Field(
        False, description="accept chart types no team can code (their charts wait to the end); see uncoded_types()"
    )
    leave: list[Leave] = Field(
        default_factory=list, max_length=100_000,
        description="leave already booked (in a file: a CSV path); replaces those coders' random planned leave",
    )


class Shift(_ClockRange):
    """Working hours (documented: log in 08:00, standard business hours, Monday–Friday)."""

    end: ClockTime = "16:30"
    workdays: list[Literal[WEEKDAYS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(WEEKDAYS[:5]), min_length=1, description="at least one: pay is spread over them"
    )
    after_shift_pay_factor: float = Field(
        1.0, ge=0, le=5,
        description="pay for time after the shift ends (finishing the chart in hand): 1 = straight time, 1.5 = overtime",
    )

    _distinct = field_validator("workdays")(_distinct_weekdays)


class Overtime(_Frozen):
    """Extra minutes per coder on days that start with a backlog above the threshold."""

    backlog_threshold: int = Field(ge=0, le=MAX_CHARTS)
    minutes: float = Field(ge=0, le=600, description="0: none granted (so a plan's lever can turn overtime off)")
    pay_factor: float = Field(1.5, ge=0, le=5, description="assumption: time and a half")


class Interruptions(_Frozen):
    """Billing questions about coded charts, per coder and working day."""

    per_day: float = Field(0.0, ge=0, le=100, description="Poisson mean per coder per day")
    duration: TimeDistribution = Field(default_factory=lambda: {"dist": "uniform", "low": 2, "high": 6})


class Queries(_Frozen):
    """How physicians answer queries."""

    answer_delay: TimeDistribution = Field(
        default_factory=lambda: {"dist": "exponential", "mean": 24, "unit": "hours"}
    )
    physician_hours: Window | None = Field(
        None, description="if set, the delay counts only physician working time"
    )


class Scenario(_Frozen):
    """One runnable scenario, validated and frozen."""

    name: str = Field("scenario", min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    description: str = Field("", max_length=10_000)
    days: int = Field(1, ge=1, le=3650, description="horizon in calendar days")
    start_weekday: Literal[WEEKDAYS] = "mon"  # type: ignore[valid-type]
    start_date: str | None = Field(
        None, description="the calendar date of day 0 (YYYY-MM-DD, on start_weekday), for settings given as dates"
    )
    warmup_days: int | Literal["auto"] = Field(0, description="days left out of statistics")
    target_days: float = Field(3.0, gt=0, le=365, description="turnaround target for share_within_target")
    start_target_hours: float = Field(
        24.0, gt=0, le=8760, description="service level: hours from arrival to first opened, for share_started_within_target"
    )
    chart_types: dict[str, ChartType] = Field(min_length=1, max_length=50)
    arrivals: Arrivals
    coders: Coders = Field(default_factory=Coders)
    levels: dict[str, Level] = Field(default_factory=_default_levels)
    shift: Shift = Field(default_factory=Shift)
    breaks: list[Break] = Field(default_factory=list, max_length=20)
    overtime: Overtime | None = None
    interruptions: Interruptions = Field(default_factory=Interruptions)
    queries: Queries = Field(default_factory=Queries)
    absence: Absence | None = Field(None, description="planned and unplanned absence; off when null")
    revenue: Revenue | None = Field(None, description="reimbursement per chart, for DNFB dollars; off when null")
    accuracy: Accuracy | None = Field(None, description="coding errors found later and reworked; off when null")
    season: Season | None = Field(None, description="days when coding takes longer (a code-set update); off when null")
    audits: Audits | None = Field(None, description="pre-bill audits of a share of coded charts; off when null")
    outsourcing: Outsourcing | None = Field(None, description="a share of charts sent to a coding vendor; off when null")
    costs: Costs | None = Field(None, description="vendor fees, CAC licences, hires, DNFB carrying: total_cost; off when null")
    state: State | None = Field(None, description="the department this morning: the run starts at as_of from its "
                                "open charts; off when null")
    sources: dict[str, str] = Field(
        default_factory=dict, description="dotted path → 'documented: …' or 'assumption: …'"
    )
    variants: dict[str, Variant] = Field(default_factory=dict)
    sweeps: dict[str, Sweep] = Field(default_factory=dict)
    levers: dict[str, str | list[Any]] = Field(
        default_factory=dict, description="chartsim plan: dotted path → range 'LO..HI' or list of values"
    )

    _start_date_text = field_validator("start_date", mode="before")(iso_text)

    @field_validator("start_date")
    @classmethod
    def _start_date(cls, v: str | None) -> str | None:
        if v is not None:
            iso_date(v)
        return v

    @model_validator(mode="before")
    @classmethod
    def _from_as_of(cls, data: Any) -> Any:
        return follow_as_of(data)

    @field_validator("warmup_days")
    @classmethod
    def _warmup(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 0:
            raise ValueError("must be ≥ 0 or 'auto'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        _check_names("chart_types", self.chart_types)
        _check_names("coders.teams", self.coders.teams, reserved="coders")
        _check_names("levels", self.levels)
        _check_names("variants", self.variants, dots=True, reserved=BASE)
        _check_names("sweeps", self.sweeps, dots=True, reserved=BASE)
        types = set(self.chart_types)

        def known(where: str, names: Any) -> None:
            unknown = sorted(set(names) - types)
            if unknown:
                raise ValueError(f"{where}: unknown chart type {unknown[0]!r} (known: {', '.join(sorted(types))})")

        known("arrivals.mix", self.arrivals.mix)
        known("arrivals.daily", self.arrivals.daily)
        known("arrivals.per_hour", self.arrivals.per_hour)
        known("coders.priority", self.coders.priority)
        if self.revenue is not None:
            known("revenue.per_chart", self.revenue.per_chart)
        if self.accuracy is not None:
            known("accuracy.error_probability", self.accuracy.error_probability)
            if unknown_levels := sorted(set(self.accuracy.level_factor) - set(self.levels)):
                raise ValueError(
                    f"accuracy.level_factor: unknown level {unknown_levels[0]!r} (known: {', '.join(self.levels)})"
                )
        for team_name, team in self.all_teams():
            if team.skills is not None:
                known(f"{team_name}.skills", team.skills)
            if team.ramp is not None and team.ramp.start_day >= self.days:
                raise ValueError(f"{team_name}.ramp.start_day: must be inside the horizon of {self.days} days")
            if team.level not in self.levels:
                raise ValueError(f"{team_name}.level: unknown level {team.level!r} (known: {', '.join(self.levels)})")
        self._check_dates()
        check_start(self)
        if self.audits is not None:
            team = self.coders.teams.get(self.audits.team)
            if team is None:
                known_teams = ", ".join(self.coders.teams) or "none"
                raise ValueError(f"audits.team: no team {self.audits.team!r} in coders.teams (teams: {known_teams})")
            if team.count == 0:
                raise ValueError(f"audits.team: team {self.audits.team!r} has no coders (count 0); nobody would audit")
        if (self.arrivals.at_login_per_coder or self.arrivals.backlog) and not self.arrivals.mix:
            raise ValueError("arrivals.mix: needed to split at_login_per_coder/backlog by chart type")
        if self.n_coders == 0:
            raise ValueError("coders.count: at least one coder is needed")
        if self.n_coders > 10_000:
            raise ValueError("coders.count: at most 10000 coders in all")
        if (expected := sum(self.expected_charts().values())) > MAX_CHARTS:
            raise ValueError(
                f"arrivals: about {expected:,.0f} charts per replication expected; "
                f"at most {MAX_CHARTS:,} (shorten days or lower the volumes)"
            )
        if isinstance(self.warmup_days, int) and self.warmup_days >= self.days:
            raise ValueError(f"warmup_days: must be shorter than the horizon of {self.days} days")
        for b in self.breaks:
            if not self.shift.start_min <= b.at_min < self.shift.end_min:
                raise ValueError(f"breaks: {b.name!r} at {b.at} is outside the shift {self.shift.start}–{self.shift.end}")
        if (uncoded := self.uncoded_types()) and not self.coders.allow_uncoded_types:
            raise ValueError(
                f"coders: no coder can code chart type {uncoded[0]!r} (no team with coders has it in its skills); "
                "add it to a team's skills, or set coders.allow_uncoded_types: true to let those charts wait"
            )
        check_sections(self)
        check_levers(self.levers)
        self._check_load()
        self._check_what_ifs()
        return self

    def _check_dates(self) -> None:
        """start_date falls on start_weekday; a season given as a date starts inside the horizon."""
        if self.start_date is not None:
            weekday = WEEKDAYS[iso_date(self.start_date).weekday()]
            if weekday != self.start_weekday:
                raise ValueError(
                    f"start_date: {self.start_date} is a {weekday}, but start_weekday is {self.start_weekday!r}; "
                    f"set start_weekday: {weekday}"
                )
        if self.season is not None and isinstance(self.season.start, str):
            first = self.season_first_day()
            if not 0 <= first < self.days:
                raise ValueError(
                    f"season.start: {self.season.start!r} is day {first} from start_date {self.start_date}, "
                    f"outside the horizon of {self.days} days"
                )

    def season_first_day(self) -> int:
        """The calendar day of the run the season starts on (the season must be on)."""
        assert self.season is not None
        return self.season.first_day(self.start_date)

    def _check_load(self) -> None:
        """Work per replication that the run could not hold, or could not finish."""
        calendar = Calendar(self.days, self.start_weekday)
        coder_days = self.n_coders * len(calendar.days_on(self.shift.workdays))
        if coder_days > MAX_CODER_DAYS:
            raise ValueError(
                f"coders.count: {coder_days:,} coder working days per replication; at most {MAX_CODER_DAYS:,} "
                "(fewer coders or a shorter horizon)"
            )
        if (questions := self.interruptions.per_day * coder_days) > MAX_QUESTIONS:
            raise ValueError(
                f"interruptions.per_day: about {questions:,.0f} billing questions per replication; "
                f"at most {MAX_QUESTIONS:,} (lower per_day, the coders or the days)"
            )
        hours = self.queries.physician_hours
        if hours is not None and hours.weekdays:
            year = 52 * len(hours.weekdays) * (hours.end_min - hours.start_min)
            if (delay := self.queries.answer_delay.mean_minutes()) > year:
                raise ValueError(
                    f"queries.answer_delay: a mean of {delay / 60:,.0f} hours is more than a year of physician_hours "
                    f"({year / 60:,.0f} hours); at most that"
                )

    def _check_what_ifs(self) -> None:
        """Count variants and sweep points before any is built: a grid's size is a product."""
        points = len(self.variants)
        for name, sweep in self.sweeps.items():
            size = sweep.size()
            if size > MAX_POINTS:
                sizes = " × ".join(str(len(v)) for v in sweep.grid.values())
                raise ValueError(
                    f"sweeps.{name}: {sizes} = {size:,} points; at most {MAX_POINTS:,} variants and sweep points in all"
                )
            points += size
        if points > MAX_POINTS:
            raise ValueError(f"sweeps: {points:,} variants and sweep points in all; at most {MAX_POINTS:,}")

    def uncoded_types(self) -> list[str]:
        """Chart types that no coder may code (no team with coders has the skill); their charts only wait."""
        coded: set[str] = set()
        for _, team in self.all_teams():
            if team.count > 0:
                coded.update(self.chart_types if team.skills is None else team.skills)
        return [kind for kind in self.chart_types if kind not in coded]

    def expected_charts(self) -> dict[str, float]:
        """Expected charts of each type over the horizon: starting queue, daily volume, in-day arrivals."""
        arrivals = self.arrivals
        calendar = Calendar(self.days, self.start_weekday)
        out = dict.fromkeys(self.chart_types, 0.0)
        initial = arrivals.backlog.expected() if arrivals.backlog is not None else 0.0
        if arrivals.at_login_per_coder is not None:
            initial += arrivals.at_login_per_coder.expected() * self.n_coders
        for kind, share in arrivals.mix.items():
            out[kind] += initial * share
        for chart in self.state.open_charts if self.state is not None else ():
            out[chart.chart_type] += 1
        for kind, volume in arrivals.daily.items():
            for d in range(self.days):
                factor, count = volume.factor(calendar.weekday(d)), volume.count
                out[kind] += round(count.value * factor) if isinstance(count, FixedCount) else count.expected() * factor
        w = arrivals.window
        open_days = len(calendar.days_on(w.weekdays))
        for kind, rate in arrivals.per_hour.items():
            out[kind] += rate * (w.end_min - w.start_min) / 60 * open_days
        return out

    def all_teams(self) -> list[tuple[str, Team]]:
        """The main team (named 'coders') and every named team."""
        return [("coders", self.coders), *((f"coders.teams.{k}", t) for k, t in self.coders.teams.items())]

    @property
    def n_coders(self) -> int:
        return sum(t.count for _, t in self.all_teams())

    def with_changes(
        self, changes: dict[str, Any], where: str, name: str | None = None, description: str | None = None
    ) -> Scenario:
        """This scenario with settings changed by dotted path, validated again, without what-ifs.

        ``where`` names the source of the changes in error messages (e.g. ``variants.cac``).
        """
        data = self.model_dump(mode="json", exclude={"variants", "sweeps", "levers"})
        for path, value in changes.items():
            set_path(data, path, value, where)
        if name is not None:
            data["name"] = name
        if description:
            data["description"] = description
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(f"{where}: {first_error(exc, Scenario)}") from None

    def expanded(self) -> dict[str, Scenario]:
        """Variants and sweep points as scenarios of their own (without further what-ifs).

        Names are data: a sweep point named like a variant, another point or
        the base would silently replace it, so that is refused.
        """
        out: dict[str, Scenario] = {}
        for name, variant in self.variants.items():
            out[name] = self.with_changes(variant.set, f"variants.{name}", name, variant.description)
        taken = {n.casefold() for n in out} | {BASE}
        for name, sweep in self.sweeps.items():
            paths = list(sweep.grid)
            for values in itertools.product(*sweep.grid.values()):
                label = name + "[" + ", ".join(f"{p}={v}" for p, v in zip(paths, values)) + "]"
                if label.casefold() in taken:
                    raise ScenarioError(
                        f"sweeps.{name}: the point {label!r} has the name of a variant or another point; rename one"
                    )
                taken.add(label.casefold())
                out[label] = self.with_changes(dict(zip(paths, values)), f"sweeps.{name}", label)
        return out


# ---------------------------------------------------------------- names

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_RESERVED = {BASE: "base scenario in every comparison", "coders": "main team"}


def _check_names(where: str, names: Iterable[str], dots: bool = False, reserved: str = "") -> None:
    """Names are data: short, printable, distinct ignoring case, none taking a reserved name.

    Chart types, teams and levels are reached by dotted paths (``chart_types.X.query``),
    so their names hold no dot.
    """
    seen: dict[str, str] = {}
    rule = f"names are 1–{MAX_NAME} characters, without control characters, surrounding spaces" + (
        "" if dots else " or dots"
    )
    for name in names:
        if not 0 < len(name) <= MAX_NAME or _CONTROL.search(name) or name != name.strip() or (not dots and "." in name):
            raise ValueError(f"{where}: the name {name[:MAX_NAME + 10]!r} is not allowed ({rule})")
        folded = name.casefold()
        if reserved and folded == reserved:
            raise ValueError(f"{where}: the name {name!r} is taken ({reserved!r} names the {_RESERVED[reserved]})")
        if folded in seen:
            raise ValueError(f"{where}: the names {seen[folded]!r} and {name!r} differ only in case; make them distinct")
        seen[folded] = name


def parse_scenario(data: Any, source: str = "<scenario>", surprises: dict[str, str] | None = None) -> Scenario:
    """Validate already-parsed YAML data.

    ``surprises`` maps dotted paths to the text of unquoted words YAML 1.1
    read as booleans (``no``, ``on``), so a refusal can say what was written.
    """
    if data is None:
        raise ScenarioError(f"{source}: the file is empty; a scenario needs at least chart_types and arrivals")
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping of settings (got {type(data).__name__})")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {first_error(exc, Scenario, surprises)}") from None
    try:
        scenario.expanded()  # variants must be valid too, before anything runs
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return scenario


# ---------------------------------------------------------------- files


def load_scenario(path: str | Path, extends: Callable[[str], Path] | None = None,
                  changes: dict[str, Any] | None = None, files: Callable[[str], Path] | None = None) -> Scenario:
    """Read and validate a scenario file (or a bundled scenario by name); raises ScenarioError with a one-line message.

    ``changes`` (dotted path → value, e.g. ``state.open_charts`` → a CSV path from the
    command line) are set before the files the scenario names are read (sim.scenario.state_files).

    A file may start from another with ``extends: other.yaml`` (a path relative
    to it) and give only the settings it changes; mappings merge key by key,
    a distribution or any other value is replaced whole (sim.scenario.files).
    ``extends`` replaces "relative to it" for this file (the what-if page's uploads),
    and ``files`` for the starting-state files it names (sim.scenario.files).
    """
    p = resolve(path)  # an existing path as given, else a bundled scenario's name ("baseline")
    surprises: dict[str, str] = {}
    try:
        data = read_scenario_file(p, surprises, extends=extends, files=files)
    except YamlRefused as exc:
        raise ScenarioError(str(exc)) from None
    if changes or _names_files(data):
        from sim.scenario.state_files import StateFileError, read_state_files, with_changes

        try:
            data = read_state_files(with_changes(data, changes or {}))
        except StateFileError as exc:  # a setting of this file (state.as_of …) is named with the file
            raise ScenarioError(f"{p}: {exc}" if str(exc).startswith(("state.", "coders.", "arrivals.")) else str(exc)
                                ) from None
    return parse_scenario(data, str(p), surprises)


def _names_files(data: Any) -> bool:
    """The scenario names a starting-state file (sim.scenario.state_files reads it)."""
    return isinstance(data, dict) and any(
        isinstance(data.get(section), dict) and isinstance(data[section].get(key), str | dict)
        for section, key in (("state", "open_charts"), ("coders", "leave"), ("arrivals", "volume_forecast")))
