"""Output-analysis functions against textbook values and synthetic data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.runs.runner import BASE, scenario_seed
from sim.stats.kn import kn_eta, select_best
from sim.stats.precision import PrecisionPlan, half_width, precise_enough, sequential_precision
from sim.stats.quantiles import percentile_intervals
from sim.stats.summary import (
    compare,
    mser5,
    paired_difference,
    t_interval,
    warmup_table,
    welch_difference,
    welch_test,
)

# ------------------------------------------------------------------ t intervals


@pytest.mark.parametrize("dof, table_value", [(4, 2.776), (9, 2.262), (29, 2.045), (120, 1.980)])
def test_t_quantiles_match_the_printed_table(dof: int, table_value: float) -> None:
    """Law, Table T.1 (two-sided 95 %): t_{ν, 0.975} to three decimals."""
    assert round(float(stats.t.ppf(0.975, dof)), 3) == table_value


def test_t_interval_on_a_hand_computed_sample() -> None:
    """1…5: mean 3, s = √2.5, half-width 2.776 · 1.5811 / √5 = 1.9632."""
    mean, low, high = t_interval(np.array([1, 2, 3, 4, 5.0]))
    assert mean == 3
    assert high - mean == pytest.approx(1.9632, abs=1e-4)
    assert mean - low == pytest.approx(high - mean)
    assert half_width(np.array([1, 2, 3, 4, 5.0])) == pytest.approx(1.9632, abs=1e-4)
    assert math.isnan(half_width(np.array([7.0])))


def test_welch_interval_by_hand_and_against_scipy() -> None:
    """a = 1…5, b = 2, 4, …, 10: se² = 2.5/5 + 10/5 = 2.5, f = 6.25 / (0.25/4 + 4/4) = 5.882."""
    a, b = np.array([1, 2, 3, 4, 5.0]), np.array([2, 4, 6, 8, 10.0])
    diff, low, high, p = welch_test(a, b)
    half = stats.t.ppf(0.975, 6.25 / 1.0625) * math.sqrt(2.5)
    assert diff == -3
    assert (low, high) == pytest.approx((-3 - half, -3 + half))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert p == pytest.approx(ref.pvalue)
    assert (low, high) == pytest.approx(tuple(ref.confidence_interval(0.95)))
    assert welch_difference(a, b) == pytest.approx((diff, low, high))


def test_paired_difference_against_scipy() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(10, 2, 30)
    variant = base + rng.normal(0.5, 0.3, 30)
    diff, low, high, p = paired_difference(variant, base)
    ref = stats.ttest_rel(variant, base)
    assert p == pytest.approx(ref.pvalue)
    assert (low, high) == pytest.approx(tuple(ref.confidence_interval(0.95)))


def test_compare_uses_welch_for_independent_streams() -> None:
    rng = np.random.default_rng(2)
    reps = pd.DataFrame(
        {
            "variant": ["base"] * 20 + ["more"] * 20,
            "replication": list(range(20)) * 2,
            "x": np.r_[rng.normal(0, 1, 20), rng.normal(1, 1, 20)],
        }
    )
    paired = compare(reps, ["x"], paired=True).iloc[0]
    welch = compare(reps, ["x"], paired=False).iloc[0]
    assert paired["method"] == "paired-t" and welch["method"] == "welch"
    a, b = reps.loc[reps.variant == "more", "x"].to_numpy(), reps.loc[reps.variant == "base", "x"].to_numpy()
    assert (welch["ci_low"], welch["ci_high"]) == pytest.approx(welch_difference(a, b)[1:])


# A fixed sample and what the hand-written paired-t and Welch formulas gave for it before
# the scipy.stats tests replaced them (mean difference, CI low, CI high, p-value).
BASE12 = [17.594, 16.027, 19.255, 21.261, 23.408, 20.329, 18.342, 17.646, 22.246, 24.904, 20.818, 16.3]
VARIANT12 = [17.436, 18.427, 20.258, 20.329, 24.124, 19.966, 18.513, 17.958, 22.333, 26.258, 21.555, 16.511]
OTHER12 = [22.639, 24.319, 14.428, 19.973, 17.077, 20.307, 15.842, 21.083, 20.848, 19.783, 16.808, 19.415]


@pytest.mark.parametrize(
    "test, other, level, expected",
    [
        (paired_difference, VARIANT12, 0.95,
         (0.4614999999999994, -0.09052404853774604, 1.0135240485377448, 0.09287630150395174)),
        (paired_difference, VARIANT12, 0.975,
         (0.4614999999999994, -0.18886763845758264, 1.1118676384575814, 0.09287630150395174)),
        (welch_test, OTHER12, 0.95,
         (-0.46733333333333604, -2.8708937791918494, 1.9362271125251773, 0.6906652756311361)),
        (welch_test, OTHER12, 0.975,
         (-0.46733333333333604, -3.2552247206060523, 2.32055805393938, 0.6906652756311361)),
    ],
)
def test_scipy_tests_give_the_numbers_of_the_hand_formulas(test, other, level, expected) -> None:
    got = test(np.array(other), np.array(BASE12), level)
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_paired_and_welch_edge_cases() -> None:
    nan = math.nan
    # a pair with a missing value is dropped from the paired test, not from the Welch one's other sample
    assert paired_difference(np.array([1.0, 3.0, 2.0, nan]), np.array([0.0, 1.0, 1.0, 5.0])) == pytest.approx(
        paired_difference(np.array([1.0, 3.0, 2.0]), np.array([0.0, 1.0, 1.0])))
    # no spread in the differences: the interval is the point, p is 0 or 1
    assert paired_difference(np.array([3.0, 4.0, 5.0]), np.array([1.0, 2.0, 3.0])) == (2.0, 2.0, 2.0, 0.0)
    assert paired_difference(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == (0.0, 0.0, 0.0, 1.0)
    assert welch_test(np.full(4, 3.0), np.full(6, 3.0)) == (0.0, 0.0, 0.0, 1.0)
    # too few values: no interval, no p-value
    d, low, high, p = paired_difference(np.array([1.0, nan]), np.array([0.0, 0.0]))
    assert d == 1.0 and math.isnan(low) and math.isnan(high) and math.isnan(p)
    assert all(math.isnan(v) for v in welch_test(np.array([1.0]), np.array([1.0, 2.0]))[1:])


def crn_replications(differences: dict[str, np.ndarray], seed: int = 9) -> pd.DataFrame:
    """A base N(10, 1) and variants = base + the given differences, replication by replication."""
    n = len(next(iter(differences.values())))
    base = np.random.default_rng(seed).normal(10, 1, n)
    frames = [pd.DataFrame({"variant": "base", "replication": range(n), "x": base})]
    frames += [pd.DataFrame({"variant": v, "replication": range(n), "x": base + d}) for v, d in differences.items()]
    return pd.concat(frames, ignore_index=True)


def test_comparison_p_values_are_adjusted_like_the_flag() -> None:
    """Three variants: Bonferroni multiplies each p-value by 3 (capped at 1) and flags p_adjusted < 0.05.

    ``borderline`` has a paired p-value of exactly 0.03 by construction (mean
    difference t_{0.985, 14}·s/√15 over zero-mean noise): significant alone,
    not after the adjustment (0.09).
    """
    n = 15
    noise = np.random.default_rng(1).standard_normal(n)
    noise = (noise - noise.mean()) / noise.std(ddof=1)  # mean 0, sd 1 exactly
    shift = float(stats.t.ppf(1 - 0.03 / 2, n - 1)) / math.sqrt(n)
    reps = crn_replications({"borderline": shift + noise, "big": 2 + 0.1 * noise, "none": noise})
    c = compare(reps, ["x"]).set_index("variant")
    assert list(c.columns[-3:]) == ["p_value", "p_value_adjusted", "significant"]
    assert c.at["borderline", "p_value"] == pytest.approx(0.03)
    assert c.at["borderline", "p_value_adjusted"] == pytest.approx(0.09)
    assert not c.at["borderline", "significant"]
    assert c.at["borderline", "ci_low"] < 0 < c.at["borderline", "ci_high"]  # the 1 − 0.05/3 interval agrees
    assert c.at["big", "significant"] and c.at["big", "p_value_adjusted"] < 1e-6
    assert c.at["none", "p_value"] == pytest.approx(1.0) and c.at["none", "p_value_adjusted"] == 1.0  # capped
    assert (c["p_value_adjusted"] == np.minimum(1.0, 3 * c["p_value"])).all()
    assert (c["significant"] == (c["p_value_adjusted"] < 0.05)).all()
    # alone, the borderline variant is significant: the family is what changes the answer
    alone = compare(crn_replications({"borderline": shift + noise}), ["x"]).iloc[0]
    assert alone["p_value_adjusted"] == alone["p_value"] and alone["significant"]


def test_welch_comparison_p_values_are_adjusted_like_the_flag() -> None:
    rng = np.random.default_rng(12)
    frames = [pd.DataFrame({"variant": v, "replication": range(20), "x": rng.normal(m, 1, 20), "zero": 0.0})
              for v, m in (("base", 0.0), ("a", 0.2), ("b", 0.9), ("c", 1.5), ("d", -0.1))]
    c = compare(pd.concat(frames, ignore_index=True), ["x", "zero"], paired=False)
    assert (c["method"] == "welch").all()
    x = c.loc[c["metric"] == "x"]
    assert (x["p_value_adjusted"] == np.minimum(1.0, 4 * x["p_value"])).all()
    assert (c["significant"] == (c["p_value_adjusted"] < 0.05)).all()
    assert x["significant"].any() and not x["significant"].all()
    zero = c.loc[c["metric"] == "zero"]
    assert (zero["p_value_adjusted"] == 1.0).all() and not zero["significant"].any()


def test_independent_streams_give_variants_their_own_seed() -> None:
    assert scenario_seed(7, "more", "common") == 7
    assert scenario_seed(7, BASE, "independent") == 7
    mixed = {scenario_seed(7, name, "independent") for name in ("a", "b", "c")}
    assert len(mixed) == 3 and 7 not in mixed
    assert scenario_seed(7, "a", "independent") == scenario_seed(7, "a", "independent")
    assert scenario_seed(7, "a", "independent") != scenario_seed(8, "a", "independent")
    with pytest.raises(ValueError):
        scenario_seed(7, "a", "shared")  # type: ignore[arg-type]


# ------------------------------------------------------------------ replications to precision


def normal_sampler(columns: dict[str, tuple[float, float]], calls: list[range]):
    """Replication r of column c is N(mean, sd²) from its own seeded generator; records what was asked."""
    cache: dict[int, dict[str, float]] = {}

    def sample(n: int) -> pd.DataFrame:
        new = range(len(cache), n)
        calls.append(new)
        for r in new:
            rng = np.random.default_rng([11, r])
            cache[r] = {c: float(m + s * rng.standard_normal()) for c, (m, s) in columns.items()}
        return pd.DataFrame([cache[r] for r in range(n)])

    return sample


def test_precision_reaches_the_sample_size_theory_predicts() -> None:
    """N(100, 10²) within 2 %: n ≈ (1.96 · 10 / 2)² ≈ 96.

    s at n ≈ 96 has sd ≈ 10/√192 ≈ 0.72, so s ∈ [7.8, 12.2] with 3σ and the
    n at which t·s/√n first drops below 2 lies in roughly [58, 143].
    """
    calls: list[range] = []
    plan = PrecisionPlan(precision=0.02, min_reps=10, batch=5, look_ahead=2, max_reps=1000)
    out = sequential_precision(normal_sampler({"x": (100, 10), "flat": (5, 0)}, calls), plan)
    row = out.table.set_index("metric").loc["x"]
    assert row["converged"]
    assert 58 <= row["reps_needed"] <= 143
    assert row["half_width"] <= 0.02 * row["mean"]
    assert out.reps >= row["reps_needed"] + 2 * 5  # stayed precise for two more checks
    flat = out.table.set_index("metric").loc["flat"]
    assert flat["converged"] and flat["reps_needed"] == 10 and flat["half_width"] == 0
    # replication r was simulated once: the asked-for ranges tile 0 … n−1
    assert [r.start for r in calls] == [0] + [r.stop for r in calls[:-1]]
    assert calls[-1].stop == out.reps


def test_near_zero_metric_needs_an_absolute_half_width_or_hits_the_budget() -> None:
    plan = PrecisionPlan(precision=0.02, min_reps=10, batch=10, look_ahead=1, max_reps=60)
    out = sequential_precision(normal_sampler({"zero": (0, 1)}, []), plan)
    row = out.table.iloc[0]
    assert out.reps == 60 and not row["converged"] and math.isnan(row["reps_needed"])
    plan = PrecisionPlan(precision=0.02, half_width=0.5, min_reps=10, batch=10, look_ahead=1, max_reps=200)
    out = sequential_precision(normal_sampler({"zero": (0, 1)}, []), plan)
    row = out.table.iloc[0]
    assert row["converged"] and row["half_width"] <= 0.5
    # 2.0·1/√n ≤ 0.5 needs n ≥ 16–20: first met at the check n = 20, confirmed at 30
    assert row["reps_needed"] == 20 and out.reps == 30


def test_look_ahead_stops_a_lucky_streak_from_ending_the_run() -> None:
    """Ten near-identical values look precise at n = 10; then an sd of 10 appears (needs n ≈ 96)."""
    values = np.r_[np.full(10, 100.0) + np.linspace(0, 0.1, 10), 100 + 10 * np.random.default_rng(3).standard_normal(500)]

    def sample(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": values[:n]})

    hasty = sequential_precision(sample, PrecisionPlan(precision=0.02, batch=10, look_ahead=0, max_reps=500))
    careful = sequential_precision(sample, PrecisionPlan(precision=0.02, batch=10, look_ahead=2, max_reps=500))
    assert hasty.reps == 10
    assert careful.table.iloc[0]["converged"] and 50 <= careful.table.iloc[0]["reps_needed"] <= 150


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"precision": 0}, "--precision must be between 0 and 1"),
        ({"precision": -0.1}, "--precision must be between 0 and 1"),
        ({"precision": 1}, "--precision must be between 0 and 1"),
        ({"precision": 0.02, "max_reps": 5}, "--max-reps must be at least 10"),
        ({"precision": 0.02, "half_width": 0}, "--half-width must be > 0"),
        ({"precision": 0.02, "min_reps": 1}, "at least 2"),
    ],
)
def test_bad_precision_plans_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PrecisionPlan(**kwargs)


def test_precise_enough() -> None:
    assert precise_enough(100, 2, 0.02) and not precise_enough(100, 2.01, 0.02)
    assert not precise_enough(0.0, 0.1, 0.02) and precise_enough(0.0, 0.1, 0.02, absolute=0.1)
    assert not precise_enough(math.nan, 0.1, 0.02)
    # the absolute half-width takes over below |mean| = H/γ = 5, and only there
    assert precise_enough(4.0, 0.1, 0.02, absolute=0.1) and not precise_enough(4.0, 0.1, 0.02)
    assert precise_enough(6.0, 0.12, 0.02, absolute=0.1) and not precise_enough(6.0, 0.121, 0.02, absolute=0.1)


# ------------------------------------------------------------------ warm-up


def test_mser5_by_hand() -> None:
    """Batches 10, 0, 0, 0: MSER(0) = 75/16, MSER(1) = 0, so the cut is one batch = 5 days."""
    assert mser5(np.r_[np.full(5, 10.0), np.zeros(15)]) == 5
    assert mser5(np.full(50, 3.0)) == 0
    assert mser5(np.arange(8.0)) == 0  # fewer than two batches: nothing to cut


def test_mser5_removes_a_known_transient() -> None:
    """30 days 40 above the steady mean 20 (noise sd 2), 200 independent series.

    Every cut must remove the whole transient (a kept batch 40 off the mean
    would dominate the MSER statistic), and the most common cut is the exact
    end of it, 30. MSER is known to over-truncate now and then (a noisy
    steady batch dropped), so only a majority is asked for.
    """
    cuts = []
    for s in range(200):
        rng = np.random.default_rng(s)
        series = 20 + 2 * rng.standard_normal(300)
        series[:30] += 40
        cuts.append(mser5(series))
    cuts_arr = np.array(cuts)
    assert (cuts_arr >= 30).all() and (cuts_arr <= 150).all()
    assert (cuts_arr == 30).mean() > 0.5


def test_warmup_table_shows_the_series_and_the_cut() -> None:
    days = pd.DataFrame(
        {"variant": ["base"] * 6 + ["x"] * 6, "replication": [0, 0, 0, 1, 1, 1] * 2, "day": [0, 1, 2] * 4,
         "backlog": [0, 4, 6, 2, 6, 8, 9, 9, 9, 9, 9, 9]}
    )
    t = warmup_table(days, 1)
    assert t["mean_backlog"].tolist() == [1, 5, 7]
    assert t["warmup"].tolist() == [True, False, False] and (t["cut"] == 1).all()


# ------------------------------------------------------------------ percentiles


def uniform_coder_days(rng: np.random.Generator, reps: int, per_rep: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": np.repeat(np.arange(reps), per_rep),
            "day": np.tile(np.arange(per_rep), reps),
            "charts_coded": rng.uniform(0, 40, reps * per_rep),
        }
    )


def test_percentile_intervals_cover_the_expected_within_replication_percentile() -> None:
    """U(0, 40), n days per replication: E[type-7 sample p-quantile] = 40((n−1)p + 1)/(n + 1) exactly.

    Over 200 synthetic runs each 95 % interval must cover it about 95 % of the
    time: accept 0.95 ± 3·√(0.95·0.05/200) = [0.904, 0.996].
    """
    n, reps, p = 20, 30, (5, 50, 95)
    truth = {q: 40 * ((n - 1) * q / 100 + 1) / (n + 1) for q in p}
    rng = np.random.default_rng(6)
    hits = {q: 0 for q in p}
    runs = 200
    for _ in range(runs):
        table = percentile_intervals(uniform_coder_days(rng, reps, n), percentiles=p).set_index("percentile")
        for q in p:
            hits[q] += table.at[q, "ci_low"] <= truth[q] <= table.at[q, "ci_high"]
    for q in p:
        assert 0.904 <= hits[q] / runs <= 0.996, (q, hits[q])


def test_percentile_intervals_skip_the_warmup_and_keep_variants_apart() -> None:
    rng = np.random.default_rng(7)
    a = uniform_coder_days(rng, 10, 10).assign(variant="base")
    b = uniform_coder_days(rng, 10, 10).assign(variant="x", charts_coded=lambda f: f["charts_coded"] + 100)
    a.loc[a["day"] < 3, "charts_coded"] = 1e6  # warm-up days that must not count
    t = percentile_intervals(pd.concat([a, b]), warmup=3)
    assert set(t["variant"]) == {"base", "x"}
    assert (t.loc[t.variant == "base", "ci_high"] < 40).all()
    assert (t.loc[t.variant == "x", "ci_low"] > 100).all()
    assert (t.loc[t.variant == "base", "coder_days_per_replication"] == 7).all()


def test_order_statistic_interval_for_one_coder_day_per_replication() -> None:
    """n = 100, median, 95 %: the textbook ranks are X(40) and X(61) (Conover, Table A3)."""
    x = np.arange(1.0, 101.0)
    frame = pd.DataFrame({"replication": np.arange(100), "day": 0, "charts_coded": x})
    row = percentile_intervals(frame, percentiles=(50,)).iloc[0]
    assert (row["ci_low"], row["ci_high"]) == (40.0, 61.0)
    assert row["method"].startswith("order statistics")


# ------------------------------------------------------------------ KN++


def test_kn_eta_closed_form() -> None:
    """k = 2, α = 0.05, f = 9: β = 0.05, η = ½(0.1^(−2/9) − 1) = ½(1.66810 − 1) = 0.33405."""
    assert kn_eta(0.05, 2, 9) == pytest.approx(0.5 * (0.1 ** (-2 / 9) - 1))
    assert kn_eta(0.05, 2, 9) == pytest.approx(0.33405, abs=1e-5)


def normal_systems(means: list[float], sd: float, seed: int, common: float = 0.0):
    """Observation r of system i: mean_i + sd·Z_ir (+ a shared term common·Y_r, as with CRN)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((5000, len(means)))
    y = rng.standard_normal(5000)

    def sample(i: int, r: int) -> float:
        return means[i] + sd * z[r, i] + common * y[r]

    return sample


def test_kn_plus_plus_selects_the_best_with_the_promised_probability() -> None:
    """Slippage configuration: best = others + δ (the hardest case KN++ guarantees).

    P(correct selection) ≥ 1 − α = 0.95; over 300 macro-replications accept
    ≥ 0.95 − 3·√(0.95·0.05/300) = 0.912.
    """
    delta, k = 0.5, 5
    means = [0.0] * (k - 1) + [delta]
    correct, used = 0, []
    for m in range(300):
        sel = select_best(normal_systems(means, 1.0, seed=m), k, delta, alpha=0.05, n0=10)
        correct += sel.best == k - 1
        used.append(sel.total)
    assert correct / 300 >= 0.912
    assert min(used) >= 10 * k


def test_kn_plus_plus_minimises_and_reports_replications_per_plan() -> None:
    sel = select_best(normal_systems([10.0, 5.0, 9.0, 20.0], 1.0, seed=1), 4, delta=1.0, maximise=False)
    assert sel.best == 1
    assert sel.eliminated_at[1] is None and all(sel.eliminated_at[i] is not None for i in (0, 2, 3))
    assert sel.replications[1] == max(sel.replications)  # the winner is sampled until the end
    assert sel.means[1] == pytest.approx(5.0, abs=0.5)
    assert not sel.stopped_by_budget


def test_kn_plus_plus_gains_from_common_random_numbers() -> None:
    """A large shared term cancels in the differences: far fewer observations than without it."""
    means = [0.0, 0.3, 0.6]
    crn = [select_best(normal_systems(means, 0.3, s, common=3.0), 3, 0.3).total for s in range(20)]
    indep = [select_best(normal_systems(means, math.sqrt(0.09 + 9.0), s), 3, 0.3).total for s in range(20)]
    assert np.mean(crn) < np.mean(indep) / 5


def test_kn_plus_plus_budget_and_bad_settings() -> None:
    sel = select_best(normal_systems([0.0, 0.0], 1.0, seed=3), 2, delta=0.01, max_reps=30)
    assert sel.stopped_by_budget and sel.replications == [30, 30]
    with pytest.raises(ValueError):
        select_best(normal_systems([0.0], 1.0, 0), 1, 0.1)
    with pytest.raises(ValueError):
        select_best(normal_systems([0.0, 1.0], 1.0, 0), 2, 0.0)
    with pytest.raises(ValueError):
        select_best(normal_systems([0.0, 1.0], 1.0, 0), 2, 0.1, n0=1)


# ------------------------------------------------------------------ wiring: runner and CLI

MM1 = {
    "name": "mm1",
    "days": 3,
    "warmup_days": 1,
    "chart_types": {"chart": {"coding_time": {"dist": "exponential", "mean": 12}}},
    "arrivals": {"per_hour": {"chart": 3}},
    "shift": {"start": "00:00", "end": "24:00", "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
    "variants": {"faster": {"set": {"chart_types.chart.coding_time.scale": 0.8}}},
}


def test_run_to_precision_equals_run_with_the_replications_it_reached() -> None:
    from sim.runs.runner import run, run_to_precision
    from sim.scenario.config import parse_scenario

    scenario = parse_scenario(MM1)
    plan = PrecisionPlan(precision=0.05, min_reps=10, batch=10, look_ahead=1, max_reps=200)
    got = run_to_precision(scenario, plan, metrics=["charts_per_coder_day", "utilisation"], seed=3, workers=2)
    assert got.precision is not None and set(got.precision["variant"]) == {"base", "faster"}
    assert got.precision["converged"].all()
    ref = run(scenario, reps=got.reps, seed=3)
    pd.testing.assert_frame_equal(got.replications, ref.replications)


def test_independent_streams_change_variants_only() -> None:
    from sim.runs.runner import run
    from sim.scenario.config import parse_scenario

    scenario = parse_scenario(MM1)
    common = run(scenario, reps=5, seed=1)
    indep = run(scenario, reps=5, seed=1, streams="independent")
    base = common.replications["variant"] == "base"
    pd.testing.assert_frame_equal(common.replications[base], indep.replications[base])
    assert not common.replications[~base].equals(indep.replications[~base])
    assert (indep.comparison["method"] == "welch").all() and (common.comparison["method"] == "paired-t").all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--precision", "0"], "--precision must be between 0 and 1"),
        (["--precision", "-1"], "--precision must be between 0 and 1"),
        (["--precision", "2"], "--precision must be between 0 and 1"),
        (["--precision", "0.02", "--max-reps", "3"], "--max-reps must be at least 10"),
        (["--half-width", "0.1"], "--half-width needs --precision"),
        (["--streams", "shared"], "--streams must be"),
    ],
)
def test_bad_analysis_settings_are_one_line_errors(write_scenario, tmp_path, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    result = CliRunner().invoke(app, ["run", str(write_scenario(MM1)), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_warmup_longer_than_the_horizon_is_refused(write_scenario, tmp_path) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    path = write_scenario({**MM1, "warmup_days": 3})
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "warmup_days" in result.output


def test_tables_are_written_at_full_precision(tmp_path) -> None:
    from sim.runs.write import write_table

    frame = pd.DataFrame({"chart_id": [0, 1, 2, 3], "coded_at": [100_000.123456, 1 / 3, math.nan, 5_000_000.000001],
                          "share": [0.1, 1e-300, 123456789.12345679, -2.5e-7]})
    write_table(frame, tmp_path / "t.csv")
    assert "100000.123456" in (tmp_path / "t.csv").read_text()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t.csv"), frame, check_exact=True)


def test_chart_times_after_day_70_read_back_exactly(tmp_path) -> None:
    """75 days: times pass 100 000 minutes, where six significant digits would round to the minute."""
    from sim.runs.runner import run
    from sim.runs.write import write_run
    from sim.scenario.config import parse_scenario

    scenario = parse_scenario({
        "name": "long", "days": 75,
        "chart_types": {"chart": {"coding_time": {"dist": "uniform", "low": 10, "high": 20}}},
        "arrivals": {"daily": {"chart": {"count": {"dist": "fixed", "value": 2}}}},
    })
    results = run(scenario, reps=1, seed=4)
    write_run(results, tmp_path / "out")
    back = pd.read_csv(tmp_path / "out" / "charts.csv")
    times = ["arrived_at", "started_at", "coded_at"]
    assert results.charts is not None and results.charts["coded_at"].max() > 100_000
    for col in times:
        mine = results.charts[col].to_numpy(dtype=float)
        assert np.array_equal(back[col].to_numpy(dtype=float), mine, equal_nan=True), col
    assert (np.modf(back["coded_at"].dropna())[0] != 0).any()  # minutes keep their fractions
    reps = pd.read_csv(tmp_path / "out" / "replications.csv")
    assert reps["coding_minutes"].tolist() == results.replications["coding_minutes"].tolist()


def test_run_folder_has_the_analysis_tables(write_scenario, tmp_path) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(write_scenario({**MM1, "warmup_days": "auto"})), "--out", str(out), "--precision", "0.1",
              "--metric", "cost_per_chart", "--max-reps", "40", "--no-charts"],
    )
    assert result.exit_code == 0, result.output
    precision = pd.read_csv(out / "precision.csv")
    assert list(precision.columns) == ["variant", "metric", "reps_needed", "mean", "half_width",
                                       "relative_half_width", "converged", "criterion"]
    assert set(precision["criterion"]) <= {"relative", "absolute"}
    warm = pd.read_csv(out / "warmup.csv")
    assert list(warm.columns) == ["day", "mean_backlog", "warmup", "cut"] and len(warm) == 3
    pct = pd.read_csv(out / "percentiles.csv")
    assert set(pct["percentile"]) == {5, 10, 25, 50, 75, 90, 95}


def test_binomial_quantile_equals_scipy_stats() -> None:
    from scipy import stats

    from sim.stats.quantiles import _binomial_quantile

    for n in (1, 2, 7, 30, 200, 3000):
        for p in (0.05, 0.5, 0.95):
            for q in (0.005, 0.025, 0.975, 0.995):
                assert _binomial_quantile(q, n, p) == int(stats.binom.ppf(q, n, p)), (q, n, p)


def test_binomial_quantile_by_bisection_is_the_whole_cdf_tables_answer() -> None:
    """Bisection finds the place the whole CDF table, searched at once, gives (edges, odd p and large n included)."""
    from scipy.special import bdtr

    from sim.stats.quantiles import _binomial_quantile

    for n in (*range(1, 40), 999, 20000, 100000):
        for p in (0.05, 0.1, 0.37, 0.5, 0.9, 0.95):
            table = bdtr(np.arange(n + 1), n, p)
            for q in (0.0, 1e-12, 0.025, 0.5, 0.975, 1.0):
                assert _binomial_quantile(q, n, p) == int(np.searchsorted(table, q, side="left")), (q, n, p)
