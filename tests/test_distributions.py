"""Distributions: inverse transforms have the documented means and ranges.

Each check draws 200,000 values with a fixed seed and asserts that the
documented mean lies inside the 99.9 % confidence interval of the sample
mean (normal approximation, which is excellent at this size).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from sim.scenario.config import parse_scenario
from sim.scenario.distributions import CountDistribution, TimeDistribution
from sim.scenario.errors import ScenarioError

N = 200_000
Z = 3.29  # two-sided 99.9 %

TIMES = {
    "fixed": ({"dist": "fixed", "value": 7}, 7.0),
    "uniform": ({"dist": "uniform", "low": 15, "high": 20}, 17.5),
    "triangular": ({"dist": "triangular", "low": 5, "mode": 6, "high": 13}, 8.0),
    "exponential": ({"dist": "exponential", "mean": 20}, 20.0),
    "lognormal": ({"dist": "lognormal", "mean": 72, "sd": 48, "unit": "hours"}, 72 * 60.0),
    "gamma": ({"dist": "gamma", "mean": 18, "sd": 9}, 18.0),
    "gamma, sd above the mean": ({"dist": "gamma", "mean": 3, "sd": 5, "unit": "hours"}, 180.0),
    "weibull": ({"dist": "weibull", "mean": 25, "shape": 1.6}, 25.0),
    "weibull, shape below 1": ({"dist": "weibull", "mean": 2, "shape": 0.7, "unit": "days"}, 2 * 1440.0),
    "empirical": ({"dist": "empirical", "values": [4, 8, 30], "weights": [1, 2, 1]}, 12.5),
    "scaled": ({"dist": "uniform", "low": 5, "high": 10, "scale": 0.7}, 7.5 * 0.7),
}


def inside(x: np.ndarray, expected: float) -> bool:
    half = Z * x.std(ddof=1) / math.sqrt(len(x))
    return abs(x.mean() - expected) <= max(half, 1e-12)


@pytest.mark.parametrize("case", TIMES)
def test_time_distribution_mean(case: str) -> None:
    spec, mean = TIMES[case]
    dist = TypeAdapter(TimeDistribution).validate_python(spec)
    x = dist.minutes(np.random.default_rng(11).random(N))
    assert math.isclose(dist.mean_minutes(), mean)
    assert inside(x, mean), (x.mean(), mean)
    assert (x >= 0).all()


def test_uniform_stays_in_its_range_and_is_monotone_in_u() -> None:
    dist = TypeAdapter(TimeDistribution).validate_python({"dist": "uniform", "low": 15, "high": 20})
    u = np.linspace(0, 0.999999, 1001)
    x = dist.minutes(u)
    assert x.min() >= 15 and x.max() <= 20 and (np.diff(x) >= 0).all()


# u on a grid that reaches both tails (the largest u a double below 1 can be)
U = np.concatenate([[0.0, 1e-12, 1e-6], np.linspace(0.001, 0.999, 999), [1 - 1e-9, 1 - 2**-53]])


def _gamma_ppf(mean: float, sd: float):
    shape = (mean / sd) ** 2
    return stats.gamma(shape, scale=mean / shape).ppf


def _weibull_ppf(mean: float, shape: float):
    return stats.weibull_min(shape, scale=mean / math.gamma(1 + 1 / shape)).ppf


@pytest.mark.parametrize(("spec", "ppf"), [
    ({"dist": "gamma", "mean": 18, "sd": 9}, _gamma_ppf(18, 9)),
    ({"dist": "gamma", "mean": 0.5, "sd": 40}, _gamma_ppf(0.5, 40)),  # shape 1/6400: most mass near 0
    ({"dist": "gamma", "mean": 1e6, "sd": 1}, _gamma_ppf(1e6, 1)),  # shape 1e12: almost fixed
    ({"dist": "gamma", "mean": 20, "sd": 20}, stats.expon(scale=20).ppf),  # sd = mean is the exponential
    ({"dist": "weibull", "mean": 25, "shape": 1.6}, _weibull_ppf(25, 1.6)),
    ({"dist": "weibull", "mean": 25, "shape": 0.13}, _weibull_ppf(25, 0.13)),  # the widest allowed
    ({"dist": "weibull", "mean": 8, "shape": 40}, _weibull_ppf(8, 40)),
    ({"dist": "weibull", "mean": 20, "shape": 1}, stats.expon(scale=20).ppf),  # shape 1 is the exponential
], ids=["gamma", "gamma wide", "gamma narrow", "gamma exponential", "weibull", "weibull widest",
        "weibull narrow", "weibull exponential"])
def test_gamma_and_weibull_quantiles_are_scipys_ppf_and_monotone_in_u(spec: dict, ppf) -> None:
    """Inverse transform: each chart's uniform maps to scipy's quantile, and a larger u never gives a shorter time."""
    dist = TypeAdapter(TimeDistribution).validate_python(spec)
    x = dist.minutes(U)
    np.testing.assert_allclose(x, ppf(U), rtol=1e-9, atol=1e-300)
    assert np.isfinite(x).all() and (x >= 0).all() and (np.diff(x) >= 0).all()


def test_gamma_without_spread_is_its_mean() -> None:
    """sd 0, or one too small for (mean/sd)² to be a float, is the mean every time (as a lognormal's sd 0)."""
    for sd in (0, 5e-324):
        dist = TypeAdapter(TimeDistribution).validate_python({"dist": "gamma", "mean": 12, "sd": sd})
        assert (dist.minutes(U) == 12).all()


def test_extreme_gamma_and_weibull_draws_stay_finite() -> None:
    """The widest allowed spreads, at the largest mean, unit and scale, never overflow to inf or NaN."""
    top = {"unit": "days", "scale": 1000}
    for spec in ({"dist": "gamma", "mean": 10_000, "sd": 1_000_000, **top},
                 {"dist": "weibull", "mean": 1_000_000, "shape": 0.13, **top},
                 {"dist": "weibull", "mean": 1_000_000, "shape": 1_000_000, **top}):
        dist = TypeAdapter(TimeDistribution).validate_python(spec)
        x = dist.minutes(U)
        assert np.isfinite(x).all() and (np.diff(x) >= 0).all() and math.isfinite(dist.mean_minutes()), spec


MINIMAL = {
    "chart_types": {"chart": {"coding_time": {"dist": "exponential", "mean": 12}}},
    "arrivals": {"per_hour": {"chart": 3}},
}


@pytest.mark.parametrize(("time", "fragments"), [
    ({"dist": "gamma", "mean": 0.001, "sd": 1}, ["coding_time", "sd must be at most 100 times the mean"]),
    ({"dist": "gamma", "mean": 0, "sd": 1}, ["coding_time.mean", "greater than 0"]),
    ({"dist": "gamma", "mean": 10, "sd": -1}, ["coding_time.sd", "greater than or equal to 0"]),
    ({"dist": "gamma", "mean": 1e300, "sd": 1}, ["coding_time.mean", "less than or equal to 1000000"]),
    ({"dist": "gamma", "mean": 10}, ["coding_time.sd", "required"]),
    ({"dist": "gamma", "mean": 10, "sd": "3"}, ["coding_time.sd", "valid number"]),
    ({"dist": "gamma", "shape": 2, "scale": 3}, ["coding_time", "shape"]),
    ({"dist": "weibull", "mean": 10, "shape": 0.1}, ["coding_time", "shape must be at least 0.13", "sd over 100 times the mean"]),
    ({"dist": "weibull", "mean": 10, "shape": 0}, ["coding_time.shape", "greater than 0"]),
    ({"dist": "weibull", "mean": 10, "shape": 1e300}, ["coding_time.shape", "less than or equal to 1000000"]),
    ({"dist": "weibull", "mean": -1, "shape": 2}, ["coding_time.mean", "greater than 0"]),
    ({"dist": "weibull", "mean": 10, "shape": float("nan")}, ["coding_time.shape"]),
    ({"dist": "weibull", "mean": 10, "shape": float("inf")}, ["coding_time.shape"]),
    ({"dist": "weibull", "mean": 10, "sd": 3}, ["coding_time"]),
], ids=["gamma spread", "gamma mean 0", "gamma sd negative", "gamma mean huge", "gamma no sd", "gamma quoted sd",
        "gamma textbook keys", "weibull too wide", "weibull shape 0", "weibull shape huge", "weibull mean negative",
        "weibull shape nan", "weibull shape inf", "weibull sd"])
def test_bad_gamma_and_weibull_are_refused_with_one_line(time: dict, fragments: list[str]) -> None:
    data = {**MINIMAL, "chart_types": {"chart": {"coding_time": time}}}
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(data)
    message = str(exc.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_gamma_and_weibull_load_in_a_scenario() -> None:
    data = {**MINIMAL, "chart_types": {"chart": {"coding_time": {"dist": "weibull", "mean": 12, "shape": 1.5}}},
            "queries": {"answer_delay": {"dist": "gamma", "mean": 24, "sd": 12, "unit": "hours"}}}
    scenario = parse_scenario(data)
    assert scenario.chart_types["chart"].coding_time.mean_minutes() == 12
    assert scenario.queries.answer_delay.mean_minutes() == 24 * 60


COUNTS = {
    "fixed": ({"dist": "fixed", "value": 30}, 30.0),
    "uniform_int": ({"dist": "uniform_int", "low": 25, "high": 40}, 32.5),
    "poisson": ({"dist": "poisson", "mean": 12.5}, 12.5),
    "negative_binomial": ({"dist": "negative_binomial", "mean": 40, "dispersion": 8}, 40.0),
}


@pytest.mark.parametrize("case", COUNTS)
def test_count_distribution_mean_and_total(case: str) -> None:
    spec, mean = COUNTS[case]
    count = TypeAdapter(CountDistribution).validate_python(spec)
    rng = np.random.default_rng(5)
    x = np.array([count.draw(rng) for _ in range(N // 4)], dtype=float)
    assert count.expected() == mean and inside(x, mean)
    totals = np.array([count.total(rng, 3) for _ in range(N // 8)], dtype=float)
    assert inside(totals, 3 * mean)


def test_uniform_int_covers_both_ends() -> None:
    count = TypeAdapter(CountDistribution).validate_python({"dist": "uniform_int", "low": 25, "high": 40})
    rng = np.random.default_rng(1)
    seen = {count.draw(rng) for _ in range(5000)}
    assert seen == set(range(25, 41))


@pytest.mark.parametrize(("mean", "dispersion", "factor"), [(40, 8, 1.0), (120, 25, 0.3), (3.5, 0.7, 1.0)])
def test_negative_binomial_mean_and_variance_match_theory(mean: float, dispersion: float, factor: float) -> None:
    """Mean m·f and variance m·f + (m·f)²/k, each within its 99.9 % interval (the variance's from the fourth moment)."""
    count = TypeAdapter(CountDistribution).validate_python(
        {"dist": "negative_binomial", "mean": mean, "dispersion": dispersion})
    rng = np.random.default_rng(11)
    x = np.array([count.draw(rng, factor) for _ in range(N // 4)], dtype=float)
    m = mean * factor
    assert inside(x, m)
    variance = m + m * m / dispersion
    assert count.variance(factor) == pytest.approx(variance)
    centred = x - x.mean()
    se_var = math.sqrt((np.mean(centred**4) - x.var() ** 2) / len(x))
    assert abs(x.var(ddof=1) - variance) <= Z * se_var, (x.var(ddof=1), variance)
    assert x.var(ddof=1) > m + Z * se_var  # wider than a Poisson of the same mean


def test_negative_binomial_zero_mean_and_bad_dispersion() -> None:
    count = TypeAdapter(CountDistribution).validate_python({"dist": "negative_binomial", "mean": 0, "dispersion": 2})
    assert count.draw(np.random.default_rng(0)) == 0
    data = {**MINIMAL, "arrivals": {"daily": {"chart": {"count": {"dist": "negative_binomial", "mean": 5,
                                                                      "dispersion": 0}}}}}
    with pytest.raises(ScenarioError, match="dispersion"):
        parse_scenario(data)
