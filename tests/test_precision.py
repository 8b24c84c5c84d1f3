"""``--precision``: the metrics it converges on, the absolute rule near zero, the budget and the exit status."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.runs.registry import headline_names, metric_names
from sim.stats.precision import ZERO_HALF_WIDTH, PrecisionPlan, precise_enough, precision_limit, sequential_precision

# One coder, one day, 20–30 charts at login (≈ 7 ms a replication). Breaks,
# billing questions and overtime are absent, so their metrics are 0 in every
# replication; queries make on_hold_end noisy around 1.
TINY = {
    "name": "tiny",
    "chart_types": {"chart": {"coding_time": {"dist": "uniform", "low": 10, "high": 20}, "query": {"probability": 0.1}}},
    "arrivals": {"mix": {"chart": 1}, "at_login_per_coder": {"dist": "uniform_int", "low": 20, "high": 30}},
}
WITH_VARIANT = {**TINY, "variants": {"slow": {"set": {"chart_types.chart.coding_time.scale": 1.2}}}}


def columns(values: dict[str, np.ndarray]):
    """A sampler over fixed columns: replication r is row r whenever it is asked for."""

    def sample(n: int) -> pd.DataFrame:
        return pd.DataFrame({name: x[:n] for name, x in values.items()})

    return sample


def invoke(write_scenario, tmp_path, *args: str, scenario: dict = TINY):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(write_scenario(scenario)), "--out", str(out), "--seed", "5", *args])
    return result, out


def one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ the rule near zero


def test_limit_is_the_larger_of_relative_and_absolute() -> None:
    """h ≤ max(γ·|x̄|, H): absolute exactly when |x̄| < H/γ (so always when |x̄| ≤ H), and continuous."""
    assert precision_limit(100.0, 0.02) == (2.0, "relative")
    assert precision_limit(100.0, 0.02, 0.5) == (2.0, "relative")  # |x̄| = 100 > H/γ = 25
    assert precision_limit(-100.0, 0.02, 0.5) == (2.0, "relative")
    assert precision_limit(0.3, 0.02, 0.5) == (0.5, "absolute")  # within H of 0
    assert precision_limit(10.0, 0.02, 0.5) == (0.5, "absolute")  # within H/γ = 25 of 0
    assert precision_limit(0.0, 0.02, ZERO_HALF_WIDTH) == (ZERO_HALF_WIDTH, "absolute")
    assert precision_limit(0.0, 0.02) == (0.0, "relative")
    below, above = precision_limit(24.999, 0.02, 0.5), precision_limit(25.001, 0.02, 0.5)
    assert below[1] == "absolute" and above[1] == "relative"
    assert above[0] - below[0] == pytest.approx(0, abs=1e-4)  # no jump at the switch
    assert precise_enough(10.0, 0.5, 0.02, 0.5) and not precise_enough(10.0, 0.51, 0.02, 0.5)


def test_a_metric_that_is_zero_in_every_replication_converges_at_once() -> None:
    """Without --half-width: h = 0 ≤ 1e-9; converged at the first check, confirmed by the look-ahead."""
    plan = PrecisionPlan(precision=0.02, min_reps=5, batch=5, look_ahead=2, max_reps=100)
    calls: list[int] = []

    def sample(n: int) -> pd.DataFrame:
        calls.append(n)
        return pd.DataFrame({"zero": np.zeros(n), "constant": np.full(n, 3.5)})

    out = sequential_precision(sample, plan)
    t = out.table.set_index("metric")
    assert out.converged and calls == [5, 10, 15] and out.reps == 15
    assert t.at["zero", "reps_needed"] == 5 and t.at["zero", "half_width"] == 0
    assert t.at["zero", "criterion"] == "absolute" and math.isnan(t.at["zero", "relative_half_width"])
    assert t.at["constant", "criterion"] == "relative" and t.at["constant", "converged"]


def test_noise_around_zero_needs_a_half_width() -> None:
    """N(0, 1): γ·|x̄| → 0, so the relative rule never holds; with H = 0.5 it converges on H."""
    x = np.random.default_rng(4).standard_normal(400)
    no_h = sequential_precision(columns({"x": x}), PrecisionPlan(precision=0.05, min_reps=10, max_reps=80))
    assert no_h.reps == 80 and not no_h.converged
    assert no_h.table.iloc[0]["criterion"] == "relative"  # |x̄| ≫ 1e-9: the tiny floor does not rescue noise
    with_h = sequential_precision(columns({"x": x}), PrecisionPlan(precision=0.05, half_width=0.5, min_reps=10,
                                                                   max_reps=400))
    row = with_h.table.iloc[0]
    assert with_h.converged and row["criterion"] == "absolute" and row["half_width"] <= 0.5
    assert 10 <= row["reps_needed"] <= 40  # 1.96/√n ≤ 0.5 from n ≈ 16


def test_each_metric_is_judged_on_its_own_rule() -> None:
    rng = np.random.default_rng(8)
    data = {"big": 100 + 5 * rng.standard_normal(300), "small": 0.01 * rng.standard_normal(300)}
    out = sequential_precision(columns(data), PrecisionPlan(precision=0.02, half_width=0.01, min_reps=10,
                                                            max_reps=300))
    t = out.table.set_index("metric")
    assert out.converged
    assert t.at["big", "criterion"] == "relative" and t.at["big", "half_width"] <= 2.0
    assert t.at["small", "criterion"] == "absolute" and t.at["small", "half_width"] <= 0.01


# ------------------------------------------------------------------ the plan


@pytest.mark.parametrize("precision", [0.0, -0.1, 1.0, 1.5, math.nan, math.inf])
def test_precision_outside_zero_one_is_refused(precision: float) -> None:
    with pytest.raises(ValueError, match="--precision must be between 0 and 1"):
        PrecisionPlan(precision=precision)


def test_budget_below_the_first_check_is_refused() -> None:
    with pytest.raises(ValueError, match="--max-reps must be at least 30"):
        PrecisionPlan(precision=0.02, min_reps=30, max_reps=20)
    assert PrecisionPlan(precision=0.02, min_reps=30, max_reps=30).max_reps == 30
    with pytest.raises(ValueError, match="--half-width must be > 0"):
        PrecisionPlan(precision=0.02, half_width=-1)


# ------------------------------------------------------------------ run_to_precision


def test_run_to_precision_starts_at_min_reps_and_checks_only_the_chosen_metrics() -> None:
    from sim.runs.runner import run, run_to_precision
    from sim.scenario.config import parse_scenario

    scenario = parse_scenario(WITH_VARIANT)
    plan = PrecisionPlan(precision=0.5, min_reps=7, batch=3, look_ahead=1, max_reps=50)
    got = run_to_precision(scenario, plan, metrics=["charts_per_coder_day", "break_minutes"], seed=2)
    p = got.precision
    assert p is not None and got.reps == 10  # precise at 7, confirmed at 10
    assert set(zip(p["variant"], p["metric"])) == {(v, m) for v in ("base", "slow")
                                                  for m in ("charts_per_coder_day", "break_minutes")}
    assert (p["reps_needed"] == 7).all() and p["converged"].all()
    assert dict(zip(p["metric"], p["criterion"])) == {"charts_per_coder_day": "relative", "break_minutes": "absolute"}
    pd.testing.assert_frame_equal(got.replications, run(scenario, reps=10, seed=2).replications)
    with pytest.raises(ValueError, match="unknown metric charts_per_day"):
        run_to_precision(scenario, plan, metrics=["charts_per_day"], seed=2)


# ------------------------------------------------------------------ the command


def test_default_metrics_are_the_headline_ones_and_zero_metrics_converge(write_scenario, tmp_path) -> None:
    result, out = invoke(write_scenario, tmp_path, "--precision", "0.5", "--no-charts")
    assert result.exit_code == 0, result.output
    p = pd.read_csv(out / "precision.csv")
    assert list(p.columns) == ["variant", "metric", "reps_needed", "mean", "half_width", "relative_half_width",
                               "converged", "criterion"]
    headline = headline_names(["chart"])
    assert set(p["metric"]) <= set(headline) and "charts_per_coder_day" in set(p["metric"])
    assert "charts_coded" not in set(p["metric"])  # a metric, but not a headline one
    zero = p.set_index("metric").loc["break_minutes"]
    assert zero["converged"] and zero["criterion"] == "absolute" and zero["mean"] == 0
    # first check at 10 (the default); the run ends two checks after the last metric became precise
    assert p["reps_needed"].min() == 10
    assert json.loads((out / "manifest.json").read_text())["replications"] == p["reps_needed"].max() + 20


def test_metric_option_chooses_what_converges_and_reps_is_the_first_check(write_scenario, tmp_path) -> None:
    result, out = invoke(write_scenario, tmp_path, "--precision", "0.5", "--metric", "charts_per_coder_day",
                         "--metric", "idle_minutes", "--metric", "charts_per_coder_day", "--reps", "6", "--no-charts")
    assert result.exit_code == 0, result.output
    p = pd.read_csv(out / "precision.csv")
    assert p["metric"].tolist() == ["charts_per_coder_day", "idle_minutes"]
    assert p["reps_needed"].tolist() == [6, 6]
    assert json.loads((out / "manifest.json").read_text())["replications"] == 26  # 6, 16, 26


def test_budget_running_out_exits_3_after_writing_the_folder(write_scenario, tmp_path) -> None:
    result, out = invoke(write_scenario, tmp_path, "--precision", "0.001", "--metric", "idle_minutes",
                         "--metric", "break_minutes", "--reps", "5", "--max-reps", "25", "--no-charts")
    assert result.exit_code == 3, result.output
    p = pd.read_csv(out / "precision.csv").set_index("metric")
    assert not p.at["idle_minutes", "converged"] and p.at["break_minutes", "converged"]
    assert json.loads((out / "manifest.json").read_text())["replications"] == 25  # checks at 5, 15, 25
    text = one_line(result.output)
    assert "not converged after 25 replications" in text and "idle_minutes" in text.split("not converged")[1]
    assert "break_minutes" not in text.split("not converged")[1]


def test_variants_are_named_when_they_do_not_converge(write_scenario, tmp_path) -> None:
    result, out = invoke(write_scenario, tmp_path, "--precision", "0.001", "--metric", "idle_minutes",
                         "--max-reps", "10", "--no-charts", scenario=WITH_VARIANT)
    assert result.exit_code == 3
    assert "slow:idle_minutes" in one_line(result.output)
    assert set(pd.read_csv(out / "precision.csv")["variant"]) == {"base", "slow"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--precision", "1"], "--precision must be between 0 and 1"),
        (["--precision", "1.5"], "--precision must be between 0 and 1"),
        (["--precision", "nan"], "--precision must be between 0 and 1"),
        (["--precision", "0.02", "--reps", "50", "--max-reps", "20"], "--max-reps must be at least 50"),
        (["--precision", "0.02", "--reps", "1"], "at least 2 replications"),
        (["--precision", "0.02", "--metric", "charts_per_day"], "unknown metric 'charts_per_day'; allowed: "),
        (["--metric", "idle_minutes"], "--metric needs --precision"),
        (["--max-reps", "50"], "--max-reps needs --precision"),
        (["--half-width", "0.1"], "--half-width needs --precision"),
    ],
)
def test_bad_precision_options_are_one_line_errors(write_scenario, tmp_path, args: list[str], message: str) -> None:
    result, out = invoke(write_scenario, tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in one_line(result.output)
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_unknown_metric_error_lists_every_allowed_name(write_scenario, tmp_path) -> None:
    result, _ = invoke(write_scenario, tmp_path, "--precision", "0.02", "--metric", "nope")
    text = one_line(result.output)
    assert result.exit_code == 2
    assert all(name in text for name in metric_names(["chart"]))


def test_without_precision_reps_keeps_its_meaning(write_scenario, tmp_path) -> None:
    result, out = invoke(write_scenario, tmp_path, "--reps", "4", "--no-charts")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["replications"] == 4
    assert not (out / "precision.csv").exists()
