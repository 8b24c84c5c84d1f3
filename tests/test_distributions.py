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

from sim.distributions import CountDistribution, TimeDistribution

N = 200_000
Z = 3.29  # two-sided 99.9 %

TIMES = {
    "fixed": ({"dist": "fixed", "value": 7}, 7.0),
    "uniform": ({"dist": "uniform", "low": 15, "high": 20}, 17.5),
    "triangular": ({"dist": "triangular", "low": 5, "mode": 6, "high": 13}, 8.0),
    "exponential": ({"dist": "exponential", "mean": 20}, 20.0),
    "lognormal": ({"dist": "lognormal", "mean": 72, "sd": 48, "unit": "hours"}, 72 * 60.0),
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


COUNTS = {
    "fixed": ({"dist": "fixed", "value": 30}, 30.0),
    "uniform_int": ({"dist": "uniform_int", "low": 25, "high": 40}, 32.5),
    "poisson": ({"dist": "poisson", "mean": 12.5}, 12.5),
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
