"""Key metrics of each replication, from the tidy tables.

One row per replication; these are the numbers a manager asks for and the
names ``chartsim staff --target`` and comparisons refer to. Days before the
warm-up cut-off are left out; charts still open at the end are counted
(``open_at_end``), never dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.charts import DAY
from sim.registry import METRICS
from sim.registry import metric_names as registry_names
from sim.scenario import Scenario

METRIC_DOCS: dict[str, str] = {m.name: m.meaning for m in METRICS}


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric a run of this scenario reports (see sim.registry)."""
    return registry_names(scenario.chart_types)


def pay_per_minute(scenario: Scenario, salary: float) -> float:
    """Salary spread over the year's paid minutes (52 weeks of the scenario's shift)."""
    minutes = 52 * len(scenario.shift.workdays) * (scenario.shift.end_min - scenario.shift.start_min)
    return salary / minutes


def replication_metrics(
    scenario: Scenario,
    charts: pd.DataFrame,
    coder_days: pd.DataFrame,
    days: pd.DataFrame,
    warmup: int,
    salaries: list[float],
) -> pd.DataFrame:
    """One row of key metrics per replication."""
    cut = warmup * DAY
    cd = coder_days.loc[coder_days["day"] >= warmup]
    by_rep = cd.groupby("replication")
    out = pd.DataFrame(index=pd.Index(sorted(days["replication"].unique()), name="replication"))
    out["charts_per_coder_day"] = by_rep["charts_coded"].mean()
    for kind in scenario.chart_types:
        out[f"coded_{kind}_per_coder_day"] = by_rep[f"coded_{kind}"].mean()
    out["charts_coded"] = by_rep["charts_coded"].sum()
    out["queries_sent"] = by_rep["queries_sent"].sum()
    answers = charts.loc[charts["query_answered_at"] >= cut]
    out["queries_answered"] = answers.groupby("replication").size().reindex(out.index, fill_value=0)
    for col in ("coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes"):
        out[col] = by_rep[col].mean()
    working = by_rep[["coding_minutes", "query_minutes", "interrupted_minutes"]].sum().sum(axis=1)
    out["utilisation"] = working / (working + by_rep["idle_minutes"].sum())

    kept_days = days.loc[days["day"] >= warmup].groupby("replication")
    out["backlog_mean"] = kept_days["backlog"].mean()
    last = days.loc[days["day"] == days["day"].max()].set_index("replication")
    out["backlog_end"] = last["backlog"]
    out["on_hold_end"] = last["on_hold"]

    ch = charts.loc[charts["arrived_at"] >= cut]
    turnaround = (ch["coded_at"] - ch["arrived_at"]) / DAY
    coded = ch.assign(t=turnaround).dropna(subset=["t"]).groupby("replication")["t"]
    out["turnaround_mean_days"] = coded.mean()
    for q in (50, 90, 95):
        out[f"turnaround_p{q}_days"] = coded.quantile(q / 100)
    horizon = scenario.days * DAY
    known = ch.loc[ch["arrived_at"] <= horizon - scenario.target_days * DAY]
    within = (known["coded_at"] - known["arrived_at"]) <= scenario.target_days * DAY
    out["share_within_target"] = within.groupby(known["replication"]).mean()
    started = ch.dropna(subset=["started_at"])
    wait = started["started_at"] - started["arrived_at"]
    out["wait_mean_minutes"] = wait.groupby(started["replication"]).mean()
    out["p_wait"] = (wait > 1e-9).groupby(started["replication"]).mean()

    rate = np.array([pay_per_minute(scenario, s) for s in salaries])
    factor = scenario.overtime.pay_factor if scenario.overtime else 1.0
    coder_rate = rate[cd["coder"].to_numpy()]
    regular = (cd["paid_minutes"] - cd["overtime_minutes"]).to_numpy() * coder_rate
    extra = cd["overtime_minutes"].to_numpy() * coder_rate * factor
    out["overtime_hours"] = by_rep["overtime_minutes"].sum() / 60
    out["labour_cost"] = pd.Series(regular + extra, index=cd.index).groupby(cd["replication"]).sum()
    out["cost_per_chart"] = out["labour_cost"] / out["charts_coded"].replace(0, np.nan)
    return out.reset_index()
