"""The bundled department over twelve weeks: stability, Little's law, paired what-ifs.

Replication counts are small to keep the file fast; every statistical
tolerance is a confidence interval over replications with a fixed seed.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.estimate import expected_charts
from sim.analysis.targets import with_coders
from sim.scenario.calendar import DAY
from sim.scenario.config import WEEKDAYS, parse_scenario
from sim.stats.summary import t_interval, welch_difference
from tests.conftest import SCENARIOS

RAW = yaml.safe_load((SCENARIOS / "department.yaml").read_text())
SEED = 11


def department(**changes) -> sim.Scenario:
    data = copy.deepcopy(RAW)
    data.update(changes)
    return parse_scenario(data, "department.yaml")


@pytest.fixture(scope="module")
def base_run() -> sim.Results:
    return sim.run(department(variants={}), reps=8, seed=SEED)


def test_base_department_is_stable_and_in_the_documented_range(base_run: sim.Results) -> None:
    s = base_run.summary.set_index("metric")
    # utilisation below 1 with confidence: the queues do not grow without bound
    assert s.at["utilisation", "ci_high"] < 0.9
    # documented productivity: 20–30+ charts per coder per day
    assert 20 <= s.at["charts_per_coder_day", "ci_low"] and s.at["charts_per_coder_day", "ci_high"] <= 36
    # no trend in the backlog after warm-up: last four weeks vs the four before (paired by replication)
    days = base_run.days
    late = days.loc[days["day"] >= 56].groupby("replication")["backlog"].mean()
    early = days.loc[(days["day"] >= 28) & (days["day"] < 56)].groupby("replication")["backlog"].mean()
    _, low, high = t_interval((late - early).to_numpy(), 0.99)
    assert low <= 0 <= high, (low, high)


def _time_in_system(charts: pd.DataFrame, horizon: float, a: float, b: float) -> np.ndarray:
    """Minutes each chart spends in the system inside the window [a, b] (open charts end at the horizon)."""
    leave = charts["coded_at"].fillna(horizon).clip(upper=horizon).to_numpy()
    arrive = charts["arrived_at"].to_numpy()
    return np.clip(np.minimum(leave, b) - np.maximum(arrive, a), 0, None)


def test_littles_law_holds_on_every_sample_path(base_run: sim.Results) -> None:
    """L from integrating the charts-in-system step function equals λ·W exactly (truncated at the horizon)."""
    horizon = base_run.scenario.days * DAY
    charts = base_run.charts
    assert (charts["coded_at"].dropna() >= 0).all()
    for _, ch in charts.groupby("replication"):
        # the step function N(t): +1 at each arrival, −1 at each coding before the horizon
        coded = ch["coded_at"].dropna().to_numpy()
        coded = coded[coded <= horizon]
        assert (ch["coded_at"].dropna() >= ch.loc[ch["coded_at"].notna(), "arrived_at"]).all()
        times = np.concatenate([ch["arrived_at"].to_numpy(), coded])
        steps = np.concatenate([np.ones(len(ch)), -np.ones(len(coded))])
        order = np.lexsort((-steps, times))  # at equal times arrivals first: N never dips below 0
        t, n = times[order], np.cumsum(steps[order])
        assert n.min() >= 0
        area = float(np.sum(n[:-1] * np.diff(t)) + n[-1] * (horizon - t[-1]))
        L = area / horizon
        lam = len(ch) / horizon
        W = float(_time_in_system(ch, horizon, 0, horizon).mean())
        assert L == pytest.approx(lam * W, rel=1e-9)
        # charts open at the end are counted: they are exactly the last value of N(t)
        assert n[-1] == int(ch["coded_at"].isna().sum() + (ch["coded_at"] > horizon).sum())


def test_littles_law_in_steady_state_within_a_confidence_interval(base_run: sim.Results) -> None:
    """After warm-up, time-average charts in system = expected arrival rate × mean time in system.

    L is averaged over whole weeks [warm-up, horizon]; W over charts arriving in
    whole weeks [warm-up, horizon − 2 weeks], so almost every one is coded by the
    end (those that are not are truncated at the horizon, never dropped); λ is
    the scenario's expected rate. Per replication d = L − λW; its 99 % interval
    must contain 0.
    """
    scenario = base_run.scenario
    horizon = scenario.days * DAY
    a, b_w = scenario.warmup_days * DAY, horizon - 14 * DAY
    first = WEEKDAYS.index(scenario.start_weekday)
    expected = 0.0
    for volume in scenario.arrivals.daily.values():  # one week of expected arrivals
        expected += sum(volume.count.expected() * volume.factor((first + d) % 7) for d in range(7))
    lam = expected / (7 * DAY)
    diffs, Ls = [], []
    for _, ch in base_run.charts.groupby("replication"):
        L = _time_in_system(ch, horizon, a, horizon).sum() / (horizon - a)
        mine = ch.loc[(ch["arrived_at"] >= a) & (ch["arrived_at"] < b_w)]
        W = (mine["coded_at"].fillna(horizon).clip(upper=horizon) - mine["arrived_at"]).mean()
        diffs.append(L - lam * W)
        Ls.append(L)
    mean, low, high = t_interval(np.array(diffs), 0.99)
    assert low <= 0 <= high, (mean, low, high)
    assert (high - low) / 2 < 0.05 * np.mean(Ls)  # precise enough to mean something


def test_expected_charts_match_the_simulated_arrivals(base_run: sim.Results) -> None:
    """The analytic volume the staffing estimate uses agrees with what the model draws (99 % CI)."""
    expected = expected_charts(base_run.scenario)
    counts = base_run.charts.groupby(["replication", "chart_type"], observed=True).size().unstack()
    for kind, n in expected.items():
        _, low, high = t_interval(counts[kind].to_numpy(), 0.99)
        assert low <= n <= high, (kind, n, low, high)


@pytest.fixture(scope="module")
def what_ifs() -> sim.Results:
    variants = {k: v for k, v in RAW["variants"].items() if k in ("cac_outpatient_30", "inpatient_plus_15")}
    variants["identical"] = {"description": "sets the main team to the count it has", "set": {"coders.count": RAW["coders"]["count"]}}
    return sim.run(department(variants=variants), reps=8, seed=SEED, keep_charts=False)


def test_identical_variant_differs_by_exactly_zero(what_ifs: sim.Results) -> None:
    reps = what_ifs.replications
    same = reps.loc[reps["variant"] == "identical"].drop(columns="variant").reset_index(drop=True)
    base = reps.loc[reps["variant"] == "base"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(same, base)
    c = what_ifs.comparison
    rows = c.loc[c["variant"] == "identical"].dropna(subset=["difference"])
    assert len(rows) > 10
    assert (rows["difference"] == 0).all() and (rows["ci_low"] == 0).all() and (rows["ci_high"] == 0).all()
    assert not rows["significant"].any()


@pytest.mark.parametrize("variant", ["cac_outpatient_30", "inpatient_plus_15"])
@pytest.mark.parametrize("metric", ["backlog_mean", "turnaround_mean_days", "charts_coded"])
def test_paired_interval_is_narrower_than_unpaired(what_ifs: sim.Results, variant: str, metric: str) -> None:
    """Common random numbers: the paired-t interval beats Welch on the very same replications."""
    c = what_ifs.comparison.set_index(["variant", "metric"])
    row = c.loc[(variant, metric)]
    reps = what_ifs.replications
    a = reps.loc[reps["variant"] == variant, metric].to_numpy()
    b = reps.loc[reps["variant"] == "base", metric].to_numpy()
    diff, low, high = welch_difference(a, b, row["confidence"])
    assert diff == pytest.approx(row["difference"])
    assert row["ci_high"] - row["ci_low"] < high - low
    if metric != "charts_coded":  # a stable department codes what arrives; waiting is what moves
        assert row["significant"]


def test_more_coders_never_raise_the_mean_backlog() -> None:
    """Monotone under common random numbers: main team 2…7 on the bundled department, same seed."""
    base = department(variants={})
    means = []
    for n in range(2, 8):
        results = sim.run(with_coders(base, n), reps=4, seed=SEED, keep_charts=False)
        means.append(results.replications["backlog_mean"].mean())
    assert all(later <= earlier for earlier, later in zip(means, means[1:])), means
    assert means[0] > 2 * means[-1]  # the range spans understaffed to comfortable


def test_queue_order_is_the_lexsort_of_replication_arrival_and_order_draw() -> None:
    """ChartDraws' quick queue order equals np.lexsort, with and without tied draws, and past 65,536 groups."""
    from sim.model.charts import queue_order

    rng = np.random.default_rng(3)
    for n, groups, tie in ((1, 1, False), (50, 3, False), (5000, 700, False), (200_000, 200_000, False), (400, 20, True)):
        rep = np.sort(rng.integers(0, max(1, groups // 10), n))
        arrived = rng.integers(0, 10, n).astype(float) * 1440
        u = rng.random(n)
        if tie:
            u[::7] = 0.5
        assert (queue_order(u, arrived, rep) == np.lexsort((u, arrived, rep))).all()
