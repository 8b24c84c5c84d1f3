"""The metrics of the priced sections: the vendor's share of the work, and what the department costs.

Annual amounts (licences, hires spread over their horizon, the carrying cost
of DNFB dollars) are spread over the year's working days, 52 weeks of the
shift's workdays, as salaries are (sim.runs.metrics.pay_per_minute); the coders'
pay and the vendor's fees are what the run incurred after warm-up, divided by
its working days after warm-up. ``total_cost`` is their sum, per working day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.runs.metric_columns import MetricColumns
from sim.scenario.calendar import DAY, Calendar
from sim.scenario.config import Scenario
from sim.scenario.economics import hires


def working_days(scenario: Scenario, warmup: int) -> int:
    """Working days of the shift from the warm-up cut-off to the end of the run."""
    calendar = Calendar(scenario.days, scenario.start_weekday)
    return sum(1 for d in calendar.days_on(scenario.shift.workdays) if d >= warmup)


def outsourcing_metrics(out: MetricColumns, scenario: Scenario, charts: pd.DataFrame, warmup: int) -> None:
    """Charts sent to the vendor after warm-up: their share, number, turnaround, fees per working day, errors."""
    vendor = scenario.outsourcing
    assert vendor is not None
    ch = charts.loc[charts["arrived_at"] >= warmup * DAY]
    rep = ch["replication"]
    sent = ch["outsourced"].to_numpy(dtype=bool)

    def per_rep(values: pd.Series) -> pd.Series:
        return values.groupby(rep).sum().reindex(out.index, fill_value=0)

    arrived = per_rep(pd.Series(1, index=ch.index))
    n_sent = per_rep(pd.Series(sent, index=ch.index))
    out["outsourced_share"] = n_sent / arrived.replace(0, np.nan)
    out["vendor_charts"] = n_sent
    mine = ch.loc[sent]
    age = (mine["coded_at"].fillna(scenario.days * DAY) - mine["arrived_at"]) / DAY
    out["vendor_turnaround_mean_days"] = age.groupby(mine["replication"]).mean().reindex(out.index)
    fees = np.array([vendor.fee(k) for k in scenario.chart_types])[mine["chart_type"].cat.codes.to_numpy()]
    days = working_days(scenario, warmup)
    out["vendor_fees"] = pd.Series(fees, index=mine.index).groupby(mine["replication"]).sum().reindex(
        out.index, fill_value=0.0) / (days if days else np.nan)
    returned = mine["coded_at"].notna()
    errors = (mine["vendor_error"] & returned).groupby(mine["replication"]).sum().reindex(out.index, fill_value=0)
    out["vendor_error_rate"] = errors / returned.groupby(mine["replication"]).sum().reindex(
        out.index, fill_value=0).replace(0, np.nan)


def cost_metrics(out: MetricColumns, scenario: Scenario, warmup: int) -> None:
    """``total_cost`` per working day and its parts (after the labour, revenue and vendor metrics are in ``out``)."""
    costs = scenario.costs
    assert costs is not None
    days = working_days(scenario, warmup)
    year = 52 * len(scenario.shift.workdays)  # working days a year, as salaries are spread
    out["labour_cost_per_day"] = out["labour_cost"] / (days if days else np.nan)
    out["licence_cost_per_day"] = costs.cac_licence_per_coder_year * scenario.n_coders / year
    out["hire_cost_per_day"] = costs.hire_cost * hires(scenario) / (costs.hire_horizon_years * year)
    if costs.dnfb_annual_rate is not None and "dnfb_dollars_mean" in out.columns:
        out["dnfb_carrying_per_day"] = out["dnfb_dollars_mean"] * costs.dnfb_annual_rate / year
    else:
        out["dnfb_carrying_per_day"] = 0.0
    vendor = out["vendor_fees"] if "vendor_fees" in out.columns else 0.0
    out["total_cost"] = (out["labour_cost_per_day"] + vendor + out["licence_cost_per_day"]
                         + out["hire_cost_per_day"] + out["dnfb_carrying_per_day"])
