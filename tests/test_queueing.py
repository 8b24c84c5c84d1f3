"""With Poisson arrivals, exponential coding, no breaks or queries and a 24-hour
shift, the department is an M/M/c queue: the simulated wait must agree with
Erlang C within a confidence interval over replications."""

from __future__ import annotations

import math

import sim
from sim.analysis.theory import erlang_c, mmc_mean_wait
from sim.scenario.config import parse_scenario
from sim.stats.summary import t_interval

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def mmc(coders: int, per_hour: float, mean_minutes: float, days: int, warmup: int) -> dict:
    return {
        "name": f"M/M/{coders}",
        "days": days,
        "warmup_days": warmup,
        "chart_types": {"chart": {"coding_time": {"dist": "exponential", "mean": mean_minutes}}},
        "arrivals": {"per_hour": {"chart": per_hour}},
        "coders": {"count": coders},
        "shift": {"start": "00:00", "end": "24:00", "workdays": ALL_WEEK},
        "breaks": [],
        "interruptions": {"per_day": 0},
    }


def test_mm2_wait_matches_erlang_c() -> None:
    coders, per_hour, mean = 2, 5.0, 20.0  # λ = 1/12 per min, μ = 1/20, ρ = 0.833
    lam, mu = per_hour / 60, 1 / mean
    results = sim.run(parse_scenario(mmc(coders, per_hour, mean, days=20, warmup=2)), reps=80, seed=2024)
    reps = results.replications
    wq, low, high = t_interval(reps["wait_mean_minutes"].to_numpy(), 0.99)
    expected = mmc_mean_wait(coders, lam, mu)  # 45.5 minutes
    assert low <= expected <= high, (expected, low, high)
    assert (high - low) / 2 < 0.15 * expected  # narrow enough to mean something
    pw, low, high = t_interval(reps["p_wait"].to_numpy(), 0.99)
    expected = erlang_c(coders, lam, mu)  # 0.758
    assert low <= expected <= high, (expected, low, high)
    assert (high - low) / 2 < 0.05


def test_erlang_c_reference_values() -> None:
    # textbook values: M/M/1 at ρ = 0.5 waits with probability 0.5; M/M/2 with a = 1: C = 1/3
    assert math.isclose(erlang_c(1, 0.5, 1.0), 0.5)
    assert math.isclose(erlang_c(2, 1.0, 1.0), 1 / 3)
    assert math.isclose(mmc_mean_wait(1, 0.5, 1.0), 1.0)
