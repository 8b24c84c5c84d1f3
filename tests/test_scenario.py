"""Scenario files: what-if files extending another, defaults, variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.config import load_scenario
from sim.scenario.errors import ScenarioError
from tests.conftest import SCENARIOS


def test_extends_merges_mappings_and_replaces_distributions() -> None:
    base = load_scenario(SCENARIOS / "baseline.yaml")
    heavy = load_scenario(SCENARIOS / "inpatient_heavy.yaml")
    assert heavy.arrivals.mix == {"inpatient": 0.70, "outpatient": 0.20, "surgical": 0.10}
    assert heavy.arrivals.at_login_per_coder == base.arrivals.at_login_per_coder
    assert heavy.chart_types == base.chart_types
    # sources merge key by key: the changed input is relabelled, the rest kept
    assert heavy.sources["arrivals.mix"].startswith("assumption: inpatient-heavy")
    assert heavy.sources["chart_types.inpatient.coding_time"] == base.sources["chart_types.inpatient.coding_time"]


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="more than 5 levels deep"):
        load_scenario(tmp_path / "a.yaml")


def test_extends_missing_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match="nowhere.yaml: cannot read the file"):
        load_scenario(tmp_path / "a.yaml")


def test_variant_with_unknown_path_is_refused(write_scenario) -> None:
    text = (SCENARIOS / "baseline.yaml").read_text() + (
        "variants:\n  typo:\n    set:\n      coders.cuont: 3\n"
    )
    with pytest.raises(ScenarioError, match="variants.typo: 'coders.cuont' does not exist"):
        load_scenario(write_scenario(text))


def test_variant_with_bad_value_is_refused(write_scenario) -> None:
    text = (SCENARIOS / "baseline.yaml").read_text() + (
        "variants:\n  none:\n    set:\n      coders.count: 0\n"
    )
    with pytest.raises(ScenarioError, match="variants.none: coders.count"):
        load_scenario(write_scenario(text))


def test_baseline_is_the_documented_day() -> None:
    s = load_scenario(SCENARIOS / "baseline.yaml")
    assert s.shift.start == "08:00"
    assert (s.arrivals.at_login_per_coder.low, s.arrivals.at_login_per_coder.high) == (25, 40)
    inpatient = s.chart_types["inpatient"].coding_time
    outpatient = s.chart_types["outpatient"].coding_time
    assert (inpatient.low, inpatient.high) == (15, 20) and (outpatient.low, outpatient.high) == (5, 10)
    assert s.sources["chart_types.surgical.coding_time"].startswith("assumption")


def test_baseline_lands_in_the_documented_productivity_range() -> None:
    """Documented: 20–30+ charts per coder per day; the 95 % CI must lie inside 20–35."""
    import sim

    results = sim.run(load_scenario(SCENARIOS / "baseline.yaml"), reps=200, seed=7)
    row = results.summary.set_index("metric").loc["charts_per_coder_day"]
    assert 20 <= row["ci_low"] and row["ci_high"] <= 35


def test_sweep_expands_a_grid_and_keeps_the_charts_common(write_scenario) -> None:
    """Every sweep point sees the same charts (common random numbers): only what the swept setting changes differs."""
    import sim
    from sim.model.department import simulate

    text = (SCENARIOS / "slow_queries.yaml").read_text().replace(
        "extends: baseline.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}"
    )
    text += "sweeps:\n  answers:\n    grid:\n      queries.answer_delay.mean: [2, 5]\n      coders.count: [1, 2]\n"
    scenario = load_scenario(write_scenario(text))
    points = scenario.expanded()
    assert len(points) == 1 + 4  # the variant and 2 × 2 sweep points
    assert "answers[queries.answer_delay.mean=2, coders.count=1]" in points

    def later_charts(s):  # charts arriving after the start: what a larger login queue must not disturb
        return sorted(
            (c.arrived_at, c.kind, c.coding_time, c.needs_query)
            for c in simulate(s, seed=9, replication=1).charts if c.arrived_at > 0
        )

    reference = later_charts(scenario)
    assert reference, "no charts arrive after the start: the test checks nothing"
    for name, point in points.items():
        assert later_charts(point) == reference, name
    # with one coder, the login queue is the same too: every chart is the same
    one = points["answers[queries.answer_delay.mean=5, coders.count=1]"]
    arrived = [(c.arrived_at, c.kind, c.coding_time) for c in simulate(one, seed=9, replication=1).charts]
    assert arrived == [(c.arrived_at, c.kind, c.coding_time) for c in simulate(scenario, seed=9, replication=1).charts]
    results = sim.run(scenario, reps=3, seed=9)
    assert set(results.comparison["variant"]) == set(points)
