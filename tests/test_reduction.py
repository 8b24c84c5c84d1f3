"""The task's reduction takes numpy shortcuts only where pandas' own result is reproduced bit for bit.

sim.runs.tasks reduces thousands of replications at once; counts and means of
whole numbers are done in numpy there, the rest by pandas in fewer calls.
These check each shortcut against the pandas expression it replaced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.runs import tasks
from sim.runs.metrics import _Whole
from sim.runs.tables import charts_frame, coder_days_frame, replication_codes
from sim.stats.quantiles import CODER_DAY_PERCENTILES, coder_day_quantiles


@pytest.mark.parametrize("shuffled", [False, True])
def test_replication_codes_are_each_rows_place(shuffled: bool) -> None:
    """Rows in replication order (runs looked up once) or not: the place of each row's replication."""
    rng = np.random.default_rng(3)
    order = np.array([2, 5, 6, 9, 14])
    rows = np.repeat(order, rng.integers(0, 4, len(order)))
    if shuffled:
        rows = rng.permutation(rows)
    assert np.array_equal(replication_codes(rows, order), np.searchsorted(order, rows))


def test_whole_number_means_and_sums_are_pandas_groupby() -> None:
    """Sums exact, means the one division pandas makes; a replication without rows is left out, as a groupby does."""
    rng = np.random.default_rng(5)
    cd = pd.DataFrame({"replication": np.repeat([0, 1, 3, 4], [7, 1, 12, 5]), "charts_coded": rng.integers(0, 40, 25)})
    index = pd.Index([0, 1, 2, 3, 4], name="replication")
    whole = _Whole(cd, index)
    by_rep = cd.groupby("replication")["charts_coded"]
    expected_mean = by_rep.mean().reindex(index)
    got_mean = whole.mean("charts_coded").reindex(index)
    assert np.array_equal(got_mean.to_numpy(), expected_mean.to_numpy(), equal_nan=True)
    pd.testing.assert_series_equal(whole.sum("charts_coded"), by_rep.sum(), check_names=False, check_exact=True)


def test_coder_day_percentiles_in_one_call_are_each_percentiles_own() -> None:
    """One quantile call for every percentile gives each the value its own call gave."""
    rng = np.random.default_rng(7)
    cd = pd.DataFrame({"replication": np.sort(rng.integers(0, 30, 400)), "day": rng.integers(0, 20, 400),
                       "charts_coded": rng.integers(0, 35, 400)})
    got = coder_day_quantiles(cd, warmup=2)
    kept = cd.loc[cd["day"] >= 2].groupby("replication", sort=False)["charts_coded"]
    assert got["coder_days"].tolist() == kept.size().tolist()
    for p in CODER_DAY_PERCENTILES:
        assert np.array_equal(got[f"p{p:g}"].to_numpy(), kept.quantile(p / 100).to_numpy())


def test_time_at_work_is_pandas_row_sum_of_the_coder_days_table() -> None:
    """Utilisation adds the work columns' sums left to right: what pandas' row sum of this table's sums does."""
    scenario = sim.load_scenario("scenarios/department.yaml")
    department, cols = tasks._simulate(scenario, 3, range(2))
    charts = charts_frame(cols, full=False)
    cd = coder_days_frame(cols, charts, [c.team for c in department.coders], [c.level for c in department.coders])
    work = ["coding_minutes", "query_minutes", "interrupted_minutes"]
    sums = cd.groupby("replication")[work].sum()
    added = (sums[work[0]] + sums[work[1]]) + sums[work[2]]
    assert np.array_equal(added.to_numpy(), sums.sum(axis=1).to_numpy())


def test_summary_percentiles_in_one_call_are_each_percentiles_own() -> None:
    """The summary's five percentiles from one partition are, to the bit, each percentile's own call."""
    from sim.stats.summary import PERCENTILES, summarise

    rng = np.random.default_rng(11)
    table = pd.DataFrame({"a": rng.lognormal(3, 1, 997), "b": rng.integers(0, 9, 997).astype(float),
                          "c": np.where(rng.random(997) < 0.3, np.nan, rng.normal(size=997))})
    got = summarise(table, ["a", "b", "c"]).set_index("metric")
    for metric in "abc":
        x = table[metric].dropna().to_numpy()
        for p in PERCENTILES:
            assert got.loc[metric, f"p{p}"] == float(np.percentile(x, p))
    assert summarise(pd.DataFrame({"a": [np.nan]}), ["a"])[[f"p{p}" for p in PERCENTILES]].isna().all(axis=None)
