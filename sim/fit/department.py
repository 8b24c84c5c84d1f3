"""A checked log → every estimate a scenario needs, each with its provenance.

Coding times are fitted on first reviews that sent no query (a queried first
review also holds the query's writing), completions on the sessions after
the answer; both are taken at the reference level's speed (each session's
minutes times its level's speed, sim.fit.speeds). Samples too small to fit (under ``MIN_SAMPLE``)
leave the schema's default in place, labelled an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.arrivals import Backlog, Volume, Window, daily_volumes, starting_backlog, window
from sim.fit.charts import charts_from, sessions_with_roles
from sim.fit.coders import DayFit, LevelFit, day_fit, level_fits
from sim.fit.distributions import Choice, choose
from sim.fit.log import SessionLog
from sim.fit.queries import QueryRate, answer_delays, query_rates
from sim.fit.speeds import Speeds, fit_speeds

MIN_SAMPLE = 30


@dataclass(frozen=True)
class DepartmentFit:
    """What the log says about the department."""

    log: SessionLog
    sessions: pd.DataFrame
    charts: pd.DataFrame
    window: Window
    coding: dict[str, Choice]
    completion: dict[str, Choice | None]  # None: too few completions
    completion_n: dict[str, int]
    writing_extra: dict[str, float]  # mean minutes a queried first review takes over an unqueried one
    queries: dict[str, QueryRate]
    answer: Choice | None
    answer_n: int
    volumes: dict[str, Volume]
    backlog: Backlog
    levels: list[LevelFit]
    speed_fit: Speeds
    day: DayFit

    @property
    def kinds(self) -> list[str]:
        return sorted(self.coding)

    @property
    def speeds(self) -> dict[str, float]:
        return {lf.level: lf.speed for lf in self.levels}


def fit_department(log: SessionLog, confidence: float = 0.95) -> DepartmentFit:
    """Fit every part of the scenario from the log."""
    sessions = sessions_with_roles(log)
    charts = charts_from(sessions, log)
    speeds = fit_speeds(charts, confidence)
    levels = level_fits(sessions, charts, speeds)
    speed = pd.Series({lf.level: lf.speed for lf in levels})
    reviewed = charts[charts["has_first_review"]]
    at_speed = reviewed["first_minutes"] * reviewed["first_level"].map(speed).astype(float)
    coding, completion, completion_n, writing_extra = {}, {}, {}, {}
    done = charts[charts["completion_minutes"].notna() & (charts["completion_minutes"] > 0)]
    # astype: with no completions (a log without queries) the mapped column is empty text, not numbers
    done_at_speed = done["completion_minutes"] * done["completion_level"].map(speed).astype(float)
    for kind in sorted(charts["chart_type"].unique()):
        mine = reviewed["chart_type"] == kind
        clean, queried = at_speed[mine & ~reviewed["queried"]], at_speed[mine & reviewed["queried"]]
        coding[kind] = choose(clean.to_numpy())
        writing_extra[kind] = float(queried.mean() - clean.mean()) if len(queried) else float("nan")
        finished = done_at_speed[done["chart_type"] == kind].to_numpy()
        completion_n[kind] = len(finished)
        completion[kind] = choose(finished) if len(finished) >= MIN_SAMPLE else None
    end = log.sessions["ended_at"].max()
    delays = answer_delays(charts, end)
    win = window(charts, pd.Timestamp(log.first_day), log.n_days)
    return DepartmentFit(
        log, sessions, charts, win, coding, completion, completion_n, writing_extra,
        query_rates(charts, confidence),
        choose(delays, unit="hours") if len(delays) >= MIN_SAMPLE else None, len(delays),
        daily_volumes(charts, win, confidence), starting_backlog(charts, win), levels, speeds,
        day_fit(sessions, charts, pd.Timestamp(log.first_day), log.n_days),
    )


def coding_sample(fit: DepartmentFit, kind: str) -> np.ndarray:
    """The coding minutes behind a type's fitted distribution (for the QQ plot)."""
    return fit.coding[kind].sample
