"""Hindcast: start the fitted model from a past day of the log and check the log's days against its bands.

The state of the department at a moment of the log is read from the log
itself (:func:`state_at`): every chart discharged by then and not finished,
on hold where its query was sent and not yet answered. The fitted scenario
is started there (``state:``) and projected forward; the log's own backlog
and charts coded, day by day, are then set against the projection's 50 %
and 90 % bands. About 90 % of the days should fall inside the 90 % band if
the model forecasts well; far fewer means it misses something (an absence,
a surge, a priority) that a manager should not trust it to forecast.

A chart whose query was answered by then but not completed waits for its
completion. The roster is the fitted one (who was away is not read from the
log), and a day every replication gives the same value (no coding at a
weekend) is left out of the shares: it tests nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.fit.department import DepartmentFit
from sim.scenario.config import Scenario

_STAMP = "%Y-%m-%d %H:%M:%S"


def state_at(fit: DepartmentFit, when: pd.Timestamp) -> list[dict]:
    """The charts open at ``when`` as rows of ``state.open_charts`` (discharged by then, not finished)."""
    charts = fit.charts
    arrived = charts["discharged_at"]
    open_ = arrived.notna() & (arrived <= when) & (charts["coded_at"].isna() | (charts["coded_at"] > when))
    held = open_ & (charts["query_sent_at"] <= when) & (
        charts["query_answered_at"].isna() | (charts["query_answered_at"] > when))
    rows = []
    for chart_id, row in charts.loc[open_].iterrows():
        entry = {"chart_id": str(chart_id), "chart_type": str(row["chart_type"]),
                 "arrived_at": row["discharged_at"].strftime(_STAMP)}
        if pd.notna(row["query_sent_at"]) and row["query_sent_at"] <= when:
            entry["query_sent_at"] = row["query_sent_at"].strftime(_STAMP)
            if not held[chart_id]:  # answered by then: waiting for its completion
                entry["query_answered_at"] = row["query_answered_at"].strftime(_STAMP)
        rows.append(entry)
    return rows


def actual_by_day(fit: DepartmentFit, when: pd.Timestamp, days: int) -> pd.DataFrame:
    """What the log shows from ``when``: backlog at the end of each day and charts coded that day."""
    charts = fit.charts
    midnight = when.normalize()
    ends = [midnight + pd.Timedelta(days=d + 1) for d in range(days)]
    arrived, coded = charts["discharged_at"], charts["coded_at"]
    backlog = [int(((arrived < end) & (coded.isna() | (coded >= end))).sum()) for end in ends]
    starts = [when, *ends[:-1]]
    done = [int(((coded >= a) & (coded < b)).sum()) for a, b in zip(starts, ends)]
    return pd.DataFrame({"day": range(days), "date": [e.date() - pd.Timedelta(days=1) for e in ends],
                         "backlog": backlog, "coded": done})


def started_at(scenario: Scenario, fit: DepartmentFit, when: pd.Timestamp, days: int) -> Scenario:
    """The fitted scenario started from the log's state at ``when``, for ``days`` days, without what-ifs."""
    data = scenario.model_dump(mode="json", exclude={"variants", "sweeps"})
    data.update(days=days, warmup_days=0, start_date=None)
    data.pop("start_weekday", None)  # both follow from state.as_of
    data["arrivals"].update(backlog=None, at_login_per_coder=None)
    data["state"] = {"as_of": when.strftime("%Y-%m-%d %H:%M"), "open_charts": state_at(fit, when)}
    if data.get("season") is not None and isinstance(data["season"].get("start"), str):
        data["season"] = None  # a season given as a date would need the log's calendar
    return Scenario.model_validate(data)


@dataclass(frozen=True)
class Hindcast:
    """The log's days beside the projection's bands, and the share of days inside them."""

    table: pd.DataFrame  # day, date, metric, actual, p5, p25, p50, p75, p95, inside_50, inside_90
    when: pd.Timestamp
    reps: int

    def share_inside(self, band: int = 90, metric: str | None = None) -> float:
        t = self.table if metric is None else self.table[self.table["metric"] == metric]
        return float(t[f"inside_{band}"].mean())


def hindcast(fit: DepartmentFit, scenario: Scenario, when: pd.Timestamp, days: int = 14, reps: int = 50,
             seed: int = 0, workers: int = 1) -> Hindcast:
    """Project the fitted scenario from the log's state at ``when`` and compare the log's next ``days`` days."""
    import sim
    from sim.runs.outlook import forecast_table

    start = started_at(scenario, fit, when, days)
    results = sim.run(start, reps=reps, seed=seed, workers=workers, keep_charts=False)
    forecast = forecast_table(results.outlook, start.state.as_of, revenue=False)
    mine = forecast[(forecast["chart_type"] == "all") & forecast["metric"].isin(["backlog", "coded"])]
    actual = actual_by_day(fit, when, days).melt(id_vars=["day", "date"], var_name="metric", value_name="actual")
    table = actual.merge(mine[["day", "metric", "p5", "p25", "p50", "p75", "p95"]], on=["day", "metric"])
    # A day every replication gives the same value (no coding at a weekend) tests nothing: left out.
    table = table[table["p5"] < table["p95"]].copy()
    table["inside_50"] = (table["actual"] >= table["p25"]) & (table["actual"] <= table["p75"])
    table["inside_90"] = (table["actual"] >= table["p5"]) & (table["actual"] <= table["p95"])
    return Hindcast(table.sort_values(["metric", "day"]).reset_index(drop=True), when, reps)


def share_text(result: Hindcast) -> str:
    """One line: the share of the log's days inside the projection's 90 % and 50 % bands."""
    n = len(result.table)
    return (f"hindcast from {result.when:%Y-%m-%d %H:%M}: {result.share_inside(90):.0%} of {n} day-values (backlog "
            f"and charts coded) inside the 90 % band, {result.share_inside(50):.0%} inside the 50 % band "
            f"({result.reps} replications)")


__all__ = ["Hindcast", "actual_by_day", "hindcast", "share_text", "started_at", "state_at"]
