"""Coders: how many of each level, how fast, and the working day their sessions trace.

A level's speed, relative to a reference level, comes from one joint model
of log(minutes) on chart type, level and coder (sim.fit.speeds), so a level
that codes harder types is neither called slow nor pulled toward the
department's mix.

The count of a level is the mean number of its coders at work on a working
day (absences and part-timers included), not the number of names. The
working day: the shift starts at the median first session and ends at the
median last session of the coder-days that stopped while charts were still
waiting (a coder who ran out of work says nothing about the shift's end).
Gaps between sessions while charts were waiting are non-coding time (breaks,
meetings, billing questions); gaps with nothing waiting are idle time and
the model makes its own. Non-coding time is the median over coder-days that
ran to the shift's end (a day cut short by lack of work hides its later
breaks). Without ``discharged_at`` nothing is known to be
waiting, and every gap counts as non-coding time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.speeds import LevelSpeed, Speeds
from sim.scenario.calendar import WEEKDAYS

ROUND_CLOCK = 15  # minutes: shift times are rounded to the quarter hour


@dataclass(frozen=True)
class LevelFit:
    """One coder level."""

    level: str
    names: int  # distinct coders of this level in the log
    present: float  # mean coders of this level at work per working day
    pace: LevelSpeed  # speed relative to the reference level, with its interval
    skills: list[str] | None  # chart types this level opened; None = all

    @property
    def speed(self) -> float:
        return self.pace.speed

    @property
    def charts(self) -> int:
        return self.pace.charts

    @property
    def count(self) -> int:
        return max(1, round(self.present))


@dataclass(frozen=True)
class DayFit:
    """The working day traced by the sessions."""

    start: str
    end: str
    workdays: list[str]
    coder_days: int
    productive_minutes: float  # mean session minutes per coder-day
    non_coding_minutes: float  # median gaps while work was waiting, per full coder-day
    stopped_with_work: int  # coder-days whose last session ended while charts were waiting
    waiting_known: bool


def level_fits(sessions: pd.DataFrame, charts: pd.DataFrame, speeds: Speeds) -> list[LevelFit]:
    """Per level: count, speed relative to the reference level, chart types opened."""
    workday_sessions = sessions.assign(date=sessions["started_at"].dt.normalize())
    days_worked = workday_sessions["date"].nunique()
    all_types = sorted(charts["chart_type"].unique())
    out = []
    for level, group in sessions.groupby("level"):
        present = workday_sessions[workday_sessions["level"] == level].groupby("date")["coder"].nunique()
        opened = sorted(charts.loc[charts["first_level"] == level, "chart_type"].unique())
        pace = speeds.levels.get(str(level), LevelSpeed(str(level), speeds.reference, 1.0, 1.0, 1.0, 0, 0.95,
                                                        str(level) == speeds.reference))
        out.append(LevelFit(
            str(level), int(group["coder"].nunique()), float(present.sum() / days_worked), pace,
            None if opened == all_types or not opened else [str(t) for t in opened],
        ))
    return sorted(out, key=lambda lf: -lf.present)


def waiting_at(charts: pd.DataFrame):
    """A function: how many charts wait to be opened (new or answered) at given times; None if unknown."""
    if not charts["discharged_at"].notna().any():
        return None

    def sorted_times(col: str) -> np.ndarray:
        return np.sort(charts[col].dropna().to_numpy(dtype="datetime64[ns]"))

    reviewed = charts[charts["has_first_review"]]  # charts first reviewed before the log never wait in it
    arrive = np.sort(reviewed["discharged_at"].dropna().to_numpy(dtype="datetime64[ns]"))
    first = np.sort(reviewed.loc[reviewed["discharged_at"].notna(), "first_start"].to_numpy(dtype="datetime64[ns]"))
    answered, resumed = sorted_times("query_answered_at"), sorted_times("completion_start")

    def count(t: np.ndarray) -> np.ndarray:
        def seen(a: np.ndarray) -> np.ndarray:
            return np.searchsorted(a, t, side="right")

        return seen(arrive) - seen(first) + seen(answered) - seen(resumed)

    return count


def day_fit(sessions: pd.DataFrame, charts: pd.DataFrame, first_day: pd.Timestamp, n_days: int) -> DayFit:
    """Shift start and end, workdays, productive and non-coding minutes per coder-day."""
    s = sessions.sort_values(["coder", "started_at"]).assign(date=sessions["started_at"].dt.normalize())
    day = s.groupby(["coder", "date"])
    first_start, last_end = day["started_at"].min(), day["ended_at"].max()
    productive = day["minutes"].sum()
    waiting = waiting_at(charts)
    gap = (s["started_at"] - s.groupby(["coder", "date"])["ended_at"].shift()) / pd.Timedelta(minutes=1)
    gap_start = s.groupby(["coder", "date"])["ended_at"].shift()
    busy = gap.notna()
    if waiting is not None:
        # A gap counts while charts were waiting just after the coder stopped (the chart just finished is out).
        probe = (gap_start[busy] + pd.Timedelta(seconds=1)).to_numpy(dtype="datetime64[ns]")
        busy.loc[busy] = waiting(probe) > 0
        stopped_with_work = waiting((last_end + pd.Timedelta(seconds=1)).to_numpy(dtype="datetime64[ns]")) > 0
    else:
        stopped_with_work = np.ones(len(last_end), dtype=bool)
    non_coding = gap.where(busy, 0.0).groupby([s["coder"], s["date"]]).sum().reindex(last_end.index)
    full = stopped_with_work if stopped_with_work.any() else np.ones(len(last_end), dtype=bool)
    ends, non_coding = last_end[full], non_coding[full]  # a day cut short by lack of work hides its later breaks
    dates = pd.date_range(pd.Timestamp(first_day).normalize(), periods=n_days, freq="D")
    worked = set(s["date"].unique())
    workdays = [w for i, w in enumerate(WEEKDAYS)
                if (occurs := [d for d in dates if d.weekday() == i]) and sum(d in worked for d in occurs) * 2 >= len(occurs)]
    return DayFit(
        _clock(_median_minutes(first_start)), _clock(_median_minutes(ends)), workdays or list(WEEKDAYS[:5]),
        len(productive), float(productive.mean()), float(non_coding.median()), int(np.sum(stopped_with_work)),
        waiting is not None,
    )


def _median_minutes(t: pd.Series) -> float:
    return float(((t - t.dt.normalize()) / pd.Timedelta(minutes=1)).median())


def _clock(minutes: float) -> str:
    m = int(round(minutes / ROUND_CLOCK) * ROUND_CLOCK)
    m = min(max(m, 0), 24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"
