"""The simulator against Erlang C and Little's law (see sim/validation.py for the method).

Each case is simulated once (fixed seed, replications with warm-up); every
quantity must have its theoretical value inside the simultaneous 99 %
interval and an interval narrower than its stated relative bound.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis import validation
from sim.analysis.theory import erlang_c, mmc_mean_wait

CASES = {c.name: c for c in validation.CASES}
# Each case is simulated once per test process: its checks run together on one xdist worker.
BY_CASE = [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in CASES]


@pytest.fixture(scope="module")
def checks() -> dict[str, pd.DataFrame]:
    return {}


def case_checks(checks: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    if name not in checks:
        checks[name] = validation.mmc_checks(CASES[name], workers=2).set_index("quantity")
    return checks[name]


def test_the_suite_covers_one_coder_and_heavy_load() -> None:
    assert any(c.coders == 1 for c in CASES.values())
    assert any(c.rho >= 0.9 for c in CASES.values())
    assert validation.CHECK_LEVEL == pytest.approx(1 - 0.01 / (5 * len(CASES)))


def test_erlang_c_reference_values() -> None:
    """Textbook values: M/M/1 C = ρ and Wq = ρ/(μ − λ); M/M/2 with a = 1: C = 1/3."""
    assert erlang_c(1, 3, 5) == pytest.approx(0.6)
    assert mmc_mean_wait(1, 3, 5) == pytest.approx(0.6 / 2)
    assert erlang_c(2, 1, 1) == pytest.approx(1 / 3)
    assert mmc_mean_wait(2, 1, 1) == pytest.approx((1 / 3) / 1)


@pytest.mark.parametrize("name", BY_CASE)
@pytest.mark.parametrize("quantity", ["wait_mean_minutes", "p_wait"])
def test_erlang_c(checks: dict[str, pd.DataFrame], name: str, quantity: str) -> None:
    r = case_checks(checks, name).loc[quantity]
    assert r["narrow"], f"{name} {quantity}: relative half-width {r['relative_half_width']:.2%} > {r['bound']:.1%}"
    assert r["inside"], f"{name} {quantity}: theory {r['theory']:.4f} outside {r['ci_low']:.4f} – {r['ci_high']:.4f}"


@pytest.mark.parametrize("name", BY_CASE)
@pytest.mark.parametrize("quantity", ["in_system_mean", "little_gap", "utilisation"])
def test_littles_law_and_utilisation(checks: dict[str, pd.DataFrame], name: str, quantity: str) -> None:
    r = case_checks(checks, name).loc[quantity]
    assert r["narrow"], f"{name} {quantity}: relative half-width {r['relative_half_width']:.2%} > {r['bound']:.1%}"
    assert r["inside"], f"{name} {quantity}: theory {r['theory']:.4f} outside {r['ci_low']:.4f} – {r['ci_high']:.4f}"
