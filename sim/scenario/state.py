"""The department as it stands this morning: open charts, known leave, a volume forecast.

A coding manager's question starts from what is true now: 412 charts
waiting, 37 of them on hold for a physician since last week, two coders on
leave next week. ``state`` holds that: the moment the state was taken
(``as_of``, where the run starts) and the charts open then. ``coders.leave``
holds the leave already booked and ``arrivals.volume_forecast`` the expected
daily volume, in place of the weekday means.

In a scenario file each list is the path of a CSV (relative to the file
that names it; see sim.scenario.state_files), read when the scenario is loaded and
checked row by row. The validated scenario holds the rows themselves, so a
run folder's ``scenario.yaml`` describes the starting state without the
files. Times are local wall-clock text, ``YYYY-MM-DD HH:MM[:SS]``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from sim.scenario.realism import iso_date, iso_text
from sim.scenario.schema import FrozenModel as _Frozen

MAX_OPEN_CHARTS = 200_000  # rows of the open-charts file (its bytes are bounded too)
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")


def stamp_text(v: Any) -> Any:
    """A timestamp or date YAML read unquoted as its text; anything else unchanged."""
    if type(v) is datetime.datetime:
        return v.isoformat(sep=" ")
    return iso_text(v)


def parse_stamp(text: str) -> datetime.datetime:
    """'2026-03-02 07:30' (or a date, meaning 00:00) → a naive datetime; anything else is refused."""
    if not isinstance(text, str) or not _STAMP.fullmatch(text):
        raise ValueError(f"must be a date and time written YYYY-MM-DD HH:MM, e.g. 2026-03-02 07:30 (got {text!r})")
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date and time") from None


def _stamp(v: str | None) -> str | None:
    if v is not None:
        parse_stamp(v)
    return v


class OpenChart(_Frozen):
    """One chart open at ``as_of``: waiting, on hold for a physician's answer, or opened by a coder."""

    chart_id: str = Field(min_length=1, max_length=200, description="the chart's id in the encoder (source_id in charts.csv)")
    chart_type: str = Field(min_length=1, max_length=200, description="one of the scenario's chart types")
    arrived_at: str = Field(description="discharge or arrival, YYYY-MM-DD HH:MM; turnaround counts from it")
    query_sent_at: str | None = Field(None, description="on hold for a physician since then; null: not on hold")
    query_answered_at: str | None = Field(
        None, description="the physician has answered (by as_of): the chart waits only for its completion"
    )
    started_by: str | None = Field(
        None, description="the coder who has opened it (team.place, e.g. coders.3): they finish it first"
    )
    expected_reimbursement: float | None = Field(
        None, ge=0, le=10_000_000, description="$ the chart lets the hospital bill; null: revenue.per_chart of its type"
    )

    _text = field_validator("arrived_at", "query_sent_at", "query_answered_at", mode="before")(stamp_text)
    _stamps = field_validator("arrived_at", "query_sent_at", "query_answered_at")(_stamp)

    @model_validator(mode="after")
    def _ordered(self) -> OpenChart:
        if self.query_sent_at is not None and parse_stamp(self.query_sent_at) < parse_stamp(self.arrived_at):
            raise ValueError(f"chart {self.chart_id}: query_sent_at is before arrived_at")
        if self.query_answered_at is not None and (
                self.query_sent_at is None or parse_stamp(self.query_answered_at) < parse_stamp(self.query_sent_at)):
            raise ValueError(f"chart {self.chart_id}: query_answered_at needs a query_sent_at before it")
        if self.query_sent_at is not None and self.started_by is not None:
            raise ValueError(f"chart {self.chart_id}: on hold (query_sent_at) and in a coder's hands (started_by) "
                             "at once; give one")
        return self


class Answers(_Frozen):
    """The thresholds of the answers a run from a state gives as sentences (sim.runs.answers)."""

    backlog_below: int | None = Field(
        None, ge=0, le=100_000_000,
        description="when does the backlog fall under this many charts? null: one weekday's expected arrivals "
        "(a day's work waiting), or half the open charts without daily arrivals",
    )
    dnfb_days_above: float = Field(
        4.0, ge=0, le=365, description="on which days is P(DNFB days > this) above probability? (documented: coding's "
        "share of the DNFB target is 2–4 days, docs/sources.md#S28)",
    )
    turnaround_days: float | None = Field(
        None, gt=0, le=365, description="on which days is P(turnaround p95 > this) above probability? null: target_days"
    )
    probability: float = Field(0.5, gt=0, lt=1, description="the chance above which a day is named")


class State(_Frozen):
    """Where the run starts: the moment the state was taken and the charts open then."""

    as_of: str = Field(description="when the state was taken, YYYY-MM-DD HH:MM; the run starts there")
    open_charts: list[OpenChart] = Field(
        default_factory=list, max_length=MAX_OPEN_CHARTS,
        description="charts open at as_of (in a scenario file: the path of a CSV)",
    )
    answers: Answers = Field(default_factory=Answers, description="thresholds of the answers given as sentences")

    _text = field_validator("as_of", mode="before")(stamp_text)
    _stamps = field_validator("as_of")(_stamp)

    @property
    def moment(self) -> datetime.datetime:
        return parse_stamp(self.as_of)

    @property
    def date(self) -> str:
        """The date of day 0 of the run (ISO)."""
        return self.moment.date().isoformat()

    def minutes(self, text: str) -> float:
        """A timestamp as run minutes: from 00:00 of as_of's day (negative before it)."""
        day0 = datetime.datetime.combine(self.moment.date(), datetime.time())
        return (parse_stamp(text) - day0).total_seconds() / 60

    @property
    def as_of_minute(self) -> float:
        return self.minutes(self.as_of)


class Leave(_Frozen):
    """Leave already booked: a coder away from ``first_day`` to ``last_day``, both included.

    In the leave CSV the columns are ``coder, from, to`` (or ``team, seat, from, to``).
    """

    coder: str = Field(min_length=1, max_length=200, description="team.place, e.g. coders.3 or specialists.0")
    first_day: str = Field(description="first day away, YYYY-MM-DD (the file's from)")
    last_day: str = Field(description="last day away, YYYY-MM-DD (the file's to)")

    _text = field_validator("first_day", "last_day", mode="before")(iso_text)

    @field_validator("first_day", "last_day")
    @classmethod
    def _date(cls, v: str) -> str:
        iso_date(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Leave:
        if iso_date(self.last_day) < iso_date(self.first_day):
            raise ValueError(f"leave of {self.coder}: to ({self.last_day}) is before from ({self.first_day})")
        return self


class DayVolume(_Frozen):
    """The expected charts of one type on one date: the day's mean in place of the weekday mean."""

    date: str
    chart_type: str = Field(min_length=1, max_length=200)
    expected: float = Field(ge=0, le=1_000_000)

    _text = field_validator("date", mode="before")(iso_text)

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        iso_date(v)
        return v


def seats(teams: dict[str, int]) -> list[str]:
    """Every coder's name, ``team.place`` (places from 0), in the model's order: team name → count."""
    return [f"{team}.{place}" for team, n in teams.items() for place in range(n)]


def roster(scenario: Any) -> dict[str, int]:
    """How a file may name each coder → the coder's index: ``team.place``, and the name a team's ``names`` gives."""
    out: dict[str, int] = {}
    index = 0
    for name, team in scenario.all_teams():
        short = name.removeprefix("coders.teams.")
        for place in range(team.count):
            out[f"{short}.{place}"] = index
            if team.names is not None and place < len(team.names):
                out[team.names[place]] = index
            index += 1
    return out


def rows_named(where: str, problem: str, bad: list[int], label: str = "row") -> str:
    """'WHERE: PROBLEM in N rows: row 3, row 7, … 2 more' — the offending rows and a count."""
    shown = ", ".join(f"{label} {i}" for i in bad[:5])
    more = f", … {len(bad) - 5} more" if len(bad) > 5 else ""
    return f"{where}: {problem} in {len(bad)} {'row' if len(bad) == 1 else 'rows'}: {shown}{more}"


# ---------------------------------------------------------------- checks across the scenario


def day_of_date(start_date: str | None, text: str, where: str) -> int:
    """The run day of date ``text`` (day 0 = ``start_date``); a date needs the scenario's start_date."""
    if start_date is None:
        raise ValueError(f"{where}: {text} is a date; give start_date (the date of day 0) or state.as_of")
    return (iso_date(text) - iso_date(start_date)).days


def follow_as_of(data: Any) -> Any:
    """Raw scenario data with start_date and start_weekday taken from ``state.as_of`` (the run starts there)."""
    state = data.get("state") if isinstance(data, dict) else None
    if not isinstance(state, dict):
        return data
    try:
        moment = parse_stamp(stamp_text(state.get("as_of")))
    except ValueError:
        return data  # the schema says what is wrong with it
    date = moment.date().isoformat()
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[moment.weekday()]
    given = stamp_text(data.get("start_date"))
    if given is not None and given != date:
        raise ValueError(f"start_date: {given} is not the date of state.as_of ({date}); the run starts at as_of, "
                         "leave start_date out")
    if data.get("start_weekday", weekday) != weekday:
        raise ValueError(f"start_weekday: {data['start_weekday']!r}, but state.as_of is a {weekday}; leave it out")
    return {**data, "start_date": date, "start_weekday": weekday}


def check_start(scenario: Any) -> None:
    """What a starting state, known leave, team dates and a volume forecast must agree with; ValueError if not."""
    kinds = list(scenario.chart_types)
    known = roster(scenario)
    given = [n.casefold() for _, team in scenario.all_teams() for n in team.names or []]
    if len(set(given)) < len(given):
        twice = next(n for n in given if given.count(n) > 1)
        raise ValueError(f"coders: the name {twice!r} is given to two coders; each name names one coder")
    state = scenario.state
    if state is not None:
        if scenario.warmup_days != 0:
            raise ValueError("warmup_days: must be 0 with state: the run starts from the department's real state, "
                             "nothing is forgotten")
        if scenario.arrivals.backlog is not None or scenario.arrivals.at_login_per_coder is not None:
            raise ValueError("arrivals.backlog: with state the starting queue is state.open_charts; set backlog and "
                             "at_login_per_coder to null")
        charts = state.open_charts
        _rows_check("state.open_charts", "a chart type the scenario lacks",
                    [i for i, c in enumerate(charts, 1) if c.chart_type not in kinds])
        _rows_check("state.open_charts", "a started_by coder the roster lacks",
                    [i for i, c in enumerate(charts, 1) if c.started_by is not None and c.started_by not in known])
        moment = state.moment
        _rows_check("state.open_charts", f"a time after as_of ({state.as_of})",
                    [i for i, c in enumerate(charts, 1) if any(
                        t is not None and parse_stamp(t) > moment
                        for t in (c.arrived_at, c.query_sent_at, c.query_answered_at))])
        ids = [c.chart_id for c in charts]
        if len(set(ids)) < len(ids):
            seen: set[str] = set()
            _rows_check("state.open_charts", "a chart_id given on an earlier row",
                        [i for i, c in enumerate(ids, 1) if c in seen or seen.add(c)])
    leave = scenario.coders.leave
    if leave and scenario.absence is None:
        raise ValueError("coders.leave: needs the absence section (absence: {} for the known leave alone)")
    _rows_check("coders.leave", "a coder the roster lacks", [i for i, r in enumerate(leave, 1) if r.coder not in known])
    for row in leave[:1]:
        day_of_date(scenario.start_date, row.first_day, "coders.leave")
    for name, team in scenario.all_teams():
        for key in ("start_date", "end_date"):
            if getattr(team, key) is not None:
                day_of_date(scenario.start_date, getattr(team, key), f"{name}.{key}")
        if team.start_date is not None and team.ramp is not None and team.ramp.start_day != 0:
            raise ValueError(f"{name}.ramp.start_day: give the first day once, as start_date (the ramp starts there)")
        if team.start_date is not None and team.end_date is not None and team.end_date < team.start_date:
            raise ValueError(f"{name}.end_date: {team.end_date} is before start_date {team.start_date}")
    forecast = scenario.arrivals.volume_forecast
    _rows_check("arrivals.volume_forecast", "a chart type without arrivals.daily (whose mean it replaces)",
                [i for i, r in enumerate(forecast, 1) if r.chart_type not in scenario.arrivals.daily])
    for row in forecast[:1]:
        day_of_date(scenario.start_date, row.date, "arrivals.volume_forecast")


def _rows_check(where: str, problem: str, bad: list[int]) -> None:
    if bad:
        raise ValueError(rows_named(where, problem, bad))


def unused_start_settings(scenario: Any) -> dict[str, Any] | None:
    """What ``model_dump`` may leave out when no start setting is used, so a scenario without them dumps as before."""
    teams = [team for _, team in scenario.all_teams()]
    if (scenario.state is not None or scenario.coders.leave or scenario.arrivals.volume_forecast
            or any(t.start_date is not None or t.end_date is not None or t.names is not None for t in teams)):
        return None
    return {
        "state": True,
        "arrivals": {"volume_forecast"},
        "coders": {"leave": True, "names": True, "start_date": True, "end_date": True,
                   "teams": {"__all__": {"names", "start_date", "end_date"}}},
    }


# ---------------------------------------------------------------- the files a scenario names

FILE_SETTINGS = (("state", "open_charts"), ("coders", "leave"), ("arrivals", "volume_forecast"))


def named_files(data: Any) -> list[str]:
    """The CSV paths one scenario file names, as written (relative to that file)."""
    out = []
    for section, key in FILE_SETTINGS:
        node = data.get(section) if isinstance(data, dict) else None
        value = node.get(key) if isinstance(node, dict) else None
        if isinstance(value, dict):
            value = value.get("file")
        if isinstance(value, str):
            out.append(value)
    return out


def anchor(data: Any, folder: Path, files: Callable[[str], Path] | None = None) -> None:
    """Make the file paths one scenario file names relative to that file (before ``extends:`` merges).

    ``files``, when given, maps each name to the file it may read instead (it
    raises sim.scenario.files.YamlRefused for a name it refuses).
    """
    if not isinstance(data, dict):
        return
    for section, key in FILE_SETTINGS:
        node = data.get(section)
        if not isinstance(node, dict):
            continue
        value = node.get(key)
        name = value.get("file") if isinstance(value, dict) else value
        if not isinstance(name, str):
            continue
        if files is None:
            path = folder / name
        else:
            from sim.scenario.files import YamlRefused  # files.py reads this module lazily: no import loop

            try:
                path = files(name)
            except YamlRefused as exc:
                raise YamlRefused(f"{section}.{key}: {exc}") from None
        node[key] = {**value, "file": str(path)} if isinstance(value, dict) else str(path)
