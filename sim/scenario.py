"""The scenario file: what a user writes, validated into a frozen config.

A scenario is YAML. Every setting has a default, a unit and a meaning (see
README and ``scenarios/baseline.yaml``). Unknown keys are errors, so a typo
never passes silently. ``load_scenario`` refuses bad input with a
:class:`ScenarioError` whose message is one line naming the file, the field
and what is allowed.

Variants and sweeps (what-ifs) are overrides by dotted path applied to the
raw file before validation, so every variant is validated like a scenario of
its own.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calendar import WEEKDAYS, Calendar, clock_minutes
from sim.distributions import CountDistribution, FixedCount, TimeDistribution

MAX_BYTES = 2_000_000
MAX_CHARTS = 5_000_000  # per replication: beyond this a run would not fit in memory


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message is one line for the user."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)


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


class Break(_Frozen):
    """A break taken once the chart in hand is finished, at or after ``at``."""

    at: ClockTime
    minutes: float = Field(gt=0, le=480)
    name: str = "break"

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

    speed: float = Field(gt=0, le=10, description="work-rate multiplier (1.0 = the documented times)")
    salary: float = Field(ge=0, le=10_000_000, description="annual salary, $")


def _default_levels() -> dict[str, Level]:
    # Salaries: midpoints of the documented BLS 2024 pay bands (documented).
    # Speeds: assumption, no published figure ties experience to speed.
    return {
        "entry": Level(speed=0.85, salary=36_000),
        "mid": Level(speed=1.0, salary=48_780),
        "experienced": Level(speed=1.15, salary=64_000),
    }


class Team(_Frozen):
    """Coders who share a level, a speed and the chart types they may code."""

    count: int = Field(1, ge=0, le=10_000)
    level: str = "mid"
    speed: float | None = Field(None, gt=0, le=10, description="overrides the level's speed")
    salary: float | None = Field(None, ge=0, le=10_000_000, description="overrides the level's salary")
    skills: list[str] | None = Field(None, description="chart types this team may code; null = all")


class Coders(Team):
    """The coding team; ``teams`` adds further named teams beside the main one."""

    teams: dict[str, Team] = Field(default_factory=dict)
    policy: Literal["oldest_first", "returns_first", "type_priority"] = "oldest_first"
    priority: list[str] = Field(default_factory=list, description="type order for policy type_priority")


class Shift(_ClockRange):
    """Working hours (documented: log in 08:00, standard business hours, Monday–Friday)."""

    end: ClockTime = "16:30"
    workdays: list[Literal[WEEKDAYS]] = Field(default_factory=lambda: list(WEEKDAYS[:5]))  # type: ignore[valid-type]
    after_shift_pay_factor: float = Field(
        1.0, ge=0, le=5,
        description="pay for time after the shift ends (finishing the chart in hand): 1 = straight time, 1.5 = overtime",
    )


class Overtime(_Frozen):
    """Extra minutes per coder on days that start with a backlog above the threshold."""

    backlog_threshold: int = Field(ge=0)
    minutes: float = Field(gt=0, le=600)
    pay_factor: float = Field(1.5, ge=0, le=5, description="assumption: time and a half")


class Interruptions(_Frozen):
    """Billing questions about coded charts, per coder and working day."""

    per_day: float = Field(0.0, ge=0, le=500, description="Poisson mean per coder per day")
    duration: TimeDistribution = Field(default_factory=lambda: {"dist": "uniform", "low": 2, "high": 6})


class Queries(_Frozen):
    """How physicians answer queries."""

    answer_delay: TimeDistribution = Field(
        default_factory=lambda: {"dist": "exponential", "mean": 24, "unit": "hours"}
    )
    physician_hours: Window | None = Field(
        None, description="if set, the delay counts only physician working time"
    )


class Variant(_Frozen):
    """A named what-if: overrides by dotted path on the base scenario."""

    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class Sweep(_Frozen):
    """A grid of values: one variant per combination."""

    grid: dict[str, list[Any]] = Field(min_length=1)

    @field_validator("grid")
    @classmethod
    def _values(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in v.items():
            if not values:
                raise ValueError(f"sweep over {path!r} has no values")
        return v


class Scenario(_Frozen):
    """One runnable scenario, validated and frozen."""

    name: str = Field("scenario", max_length=200)
    description: str = Field("", max_length=10_000)
    days: int = Field(1, ge=1, le=3650, description="horizon in calendar days")
    start_weekday: Literal[WEEKDAYS] = "mon"  # type: ignore[valid-type]
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
    sources: dict[str, str] = Field(
        default_factory=dict, description="dotted path → 'documented: …' or 'assumption: …'"
    )
    variants: dict[str, Variant] = Field(default_factory=dict)
    sweeps: dict[str, Sweep] = Field(default_factory=dict)

    @field_validator("warmup_days")
    @classmethod
    def _warmup(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 0:
            raise ValueError("must be ≥ 0 or 'auto'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        types = set(self.chart_types)

        def known(where: str, names: Any) -> None:
            unknown = sorted(set(names) - types)
            if unknown:
                raise ValueError(f"{where}: unknown chart type {unknown[0]!r} (known: {', '.join(sorted(types))})")

        known("arrivals.mix", self.arrivals.mix)
        known("arrivals.daily", self.arrivals.daily)
        known("arrivals.per_hour", self.arrivals.per_hour)
        known("coders.priority", self.coders.priority)
        for team_name, team in self.all_teams():
            if team.skills is not None:
                known(f"{team_name}.skills", team.skills)
            if team.level not in self.levels:
                raise ValueError(f"{team_name}.level: unknown level {team.level!r} (known: {', '.join(self.levels)})")
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
                raise ValueError(f"breaks: {b.name} at {b.at} is outside the shift {self.shift.start}–{self.shift.end}")
        return self

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
        data = self.model_dump(mode="json", exclude={"variants", "sweeps"})
        for path, value in changes.items():
            set_path(data, path, value, where)
        if name is not None:
            data["name"] = name
        if description:
            data["description"] = description
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(f"{where}: {_first_error(exc)}") from None

    def expanded(self) -> dict[str, Scenario]:
        """Variants and sweep points as scenarios of their own (without further what-ifs)."""
        out: dict[str, Scenario] = {}
        for name, variant in self.variants.items():
            out[name] = self.with_changes(variant.set, f"variants.{name}", name, variant.description)
        for name, sweep in self.sweeps.items():
            paths = list(sweep.grid)
            for values in itertools.product(*sweep.grid.values()):
                label = name + "[" + ", ".join(f"{p}={v}" for p, v in zip(paths, values)) + "]"
                out[label] = self.with_changes(dict(zip(paths, values)), f"sweeps.{name}", label)
        return out


def set_path(data: dict[str, Any], path: str, value: Any, where: str = "") -> None:
    """Set ``a.b.c`` in nested dicts; the path must exist in the resolved scenario."""
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            done = ".".join(keys[:i]) or "the scenario"
            prefix = f"{where}: " if where else ""
            raise ScenarioError(f"{prefix}{path!r} does not exist ({key!r} is not a setting of {done})")
        if i == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    tags = {"fixed", "uniform", "triangular", "exponential", "lognormal", "empirical", "uniform_int", "poisson"}
    loc = [str(p) for p in err["loc"] if not (isinstance(p, str) and (p in tags or p.startswith("function-")))]
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:  # checks across settings name their own field first
        return msg
    if err["type"] == "extra_forbidden":
        msg = "unknown setting (check the spelling; see README for the allowed keys)"
    elif err["type"] == "union_tag_invalid":
        msg = "dist must be one of fixed, uniform, triangular, exponential, lognormal, empirical (times) or fixed, uniform_int, poisson (counts)"
    elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], (dict, list)):
        msg += f" (got {err['input']!r})"
    return f"{'.'.join(loc)}: {msg}"


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML data."""
    if data is None:
        raise ScenarioError(f"{source}: the file is empty; a scenario needs at least chart_types and arrivals")
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping of settings (got {type(data).__name__})")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_first_error(exc)}") from None
    try:
        scenario.expanded()  # variants must be valid too, before anything runs
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return scenario


def _read(p: Path, depth: int = 0) -> Any:
    """The parsed YAML of one scenario file, with any ``extends`` resolved."""
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the file ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{p}: the file is {len(raw)} bytes; a scenario must be under {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{p}: not a text file (a scenario is UTF-8 YAML)") from None
    if "\x00" in text:
        raise ScenarioError(f"{p}: not a text file (a scenario is UTF-8 YAML)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{p}: not valid YAML{where}: {problem}") from None
    if isinstance(data, dict) and "extends" in data:
        data = _extend(p, data, depth)
    return data


def _extend(path: Path, data: dict[str, Any], depth: int) -> dict[str, Any]:
    """A what-if file names the scenario it changes; its settings are merged over that one's."""
    parent = data.pop("extends")
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: must be the path of another scenario file (got {parent!r})")
    if depth >= 5:
        raise ScenarioError(f"{path}: extends: more than 5 levels deep (a cycle?)")
    base = _read(path.parent / parent, depth + 1)
    if not isinstance(base, dict):
        raise ScenarioError(f"{path}: extends: {parent} does not hold a scenario")
    return _merge(base, data)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError with a one-line message.

    A file may start from another with ``extends: other.yaml`` (a path relative
    to it) and give only the settings it changes; mappings merge key by key,
    a distribution or any other value is replaced whole.
    """
    p = Path(path)
    return parse_scenario(_read(p), str(p))
