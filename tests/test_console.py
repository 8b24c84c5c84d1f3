"""Console tables (sim.cli.console): readable in 80 columns, numbers as managers read them, honest bounds."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

import sim
from sim.cli.app import app
from sim.cli.console import comparison_table, make_console, metrics_table, precision_table, summary_table
from sim.runs.registry import METRICS, headline_names, lookup
from sim.scenario.config import parse_scenario

KINDS = ["inpatient", "outpatient_and_emergency"]  # a long type name: the longest per-type metric name


def render(renderable, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(renderable)
    return out.getvalue()


def whole(name: str, text: str) -> bool:
    """``name`` appears on one line, not cut, folded or run into another word."""
    return re.search(rf"(?<![\w<>]){re.escape(name)}(?![\w<>])", text) is not None


def assert_fits(text: str, width: int = 80) -> None:
    long = [line for line in text.splitlines() if len(line.rstrip()) > width]
    assert not long, long
    assert "…" not in text  # nothing cut with an ellipsis
    assert not re.search(r"\d[eE][+-]?\d", text), "scientific notation"


def scenario() -> sim.Scenario:
    return parse_scenario({
        "name": "console check",
        "chart_types": {k: {"coding_time": {"dist": "fixed", "value": 10}} for k in KINDS},
        "arrivals": {"at_login_per_coder": {"dist": "fixed", "value": 30}, "mix": {KINDS[0]: 0.5, KINDS[1]: 0.5}},
    })


def fake_results(rows: dict[str, tuple[float, float, float]], variants: tuple[str, ...] = ()) -> SimpleNamespace:
    """Results-like object whose summary has exactly these (mean, ci_low, ci_high) per metric."""
    summary = pd.DataFrame([
        {"variant": v, "metric": m, "n": 10, "mean": mean, "sd": abs(mean) / 10 + 0.01, "ci_low": lo, "ci_high": hi,
         "p5": mean * 0.9, "p25": mean, "p50": mean, "p75": mean, "p95": mean * 1.1}
        for v in ("base", *variants) for m, (mean, lo, hi) in rows.items()
    ])
    comparison = pd.DataFrame([
        {"variant": v, "metric": m, "base_mean": mean, "variant_mean": mean * 1.1, "difference": mean * 0.1,
         "ci_low": -abs(mean), "ci_high": abs(mean), "confidence": 0.975, "significant": False}
        for v in variants for m, (mean, _, _) in rows.items()
    ])
    return SimpleNamespace(scenario=scenario(), reps=10, seed=3, summary=summary, comparison=comparison,
                           streams="common", precision=None)


def headline_rows() -> dict[str, tuple[float, float, float]]:
    """Every headline metric with a plausible value; on_hold_end's interval reaches below 0."""
    rows = {m: (12.5, 11.0, 14.0) for m in headline_names(KINDS)}
    for m in rows:
        if lookup(m).unit == "share":
            rows[m] = (0.8, 0.75, 0.85)
    rows["queries_sent"] = (76970.4, 76000.0, 77940.8)  # .4g used to print 7.697e+04
    rows["cost_per_chart"] = (6.2381, 6.0843, 6.3918)
    rows["on_hold_end"] = (15.0, -2.21, 32.21)
    return rows


def test_summary_at_80_columns_shows_every_headline_metric_whole() -> None:
    text = render(summary_table(fake_results(headline_rows())))
    assert_fits(text)
    for name in headline_names(KINDS):
        assert whole(name, text), name
    assert "coded_outpatient_and_emergency_per_coder_day" in text


def test_numbers_for_managers_dollars_to_cents_shares_as_percent_no_scientific_notation() -> None:
    text = render(summary_table(fake_results(headline_rows())))
    row = next(line for line in text.splitlines() if line.startswith("cost_per_chart"))
    assert "$6.24" in row and "$6.08 – $6.39" in row
    assert "76,970" in next(line for line in text.splitlines() if line.startswith("queries_sent"))
    assert "80.0%" in next(line for line in text.splitlines() if line.startswith("utilisation"))
    assert "e+0" not in text


def test_negative_lower_bound_of_a_count_is_clipped_at_0_with_a_note() -> None:
    assert lookup("on_hold_end").count
    text = render(summary_table(fake_results(headline_rows())))
    row = next(line for line in text.splitlines() if line.startswith("on_hold_end"))
    assert "-2.2" not in row and "−2.2" not in row
    assert "0ᵃ – 32.21" in row
    assert "ᵃ interval truncated at 0" in text


def test_no_note_when_nothing_is_clipped() -> None:
    rows = headline_rows()
    rows["on_hold_end"] = (15.0, 2.0, 28.0)
    assert "truncated" not in render(summary_table(fake_results(rows)))


def test_share_interval_above_100_percent_is_clipped_with_a_note() -> None:
    rows = headline_rows()
    rows["share_within_target"] = (0.99, 0.97, 1.01)
    text = render(summary_table(fake_results(rows)))
    assert "100.0%ᵇ" in text and "101.0%" not in text and "truncated at 100%" in text


def test_comparison_at_80_columns_names_whole_and_one_layout_for_every_variant() -> None:
    variants = ("a_rather_long_variant_name_for_the_what_if", "CAC")
    text = render(comparison_table(fake_results(headline_rows(), variants)))
    assert_fits(text)
    for v in variants:
        assert whole(v, text), v
    for name in headline_names(KINDS):
        assert whole(name, text), name
    headers = [line.split() for line in text.splitlines() if line.startswith("metric")]
    assert len(headers) == 2 and headers[0] == headers[1]  # the same columns for each variant


@pytest.mark.parametrize("width", [60, 44])
def test_narrow_terminal_keeps_names_whole(width: int) -> None:
    text = render(summary_table(fake_results(headline_rows())), width)
    for name in headline_names(KINDS):
        assert whole(name, text), name
    assert "…" not in text


def test_precision_table_fits_80_columns() -> None:
    precision = pd.DataFrame([
        {"variant": v, "metric": m, "reps_needed": 40, "mean": 31.5, "half_width": 0.6, "relative_half_width": 0.019,
         "converged": v == "base", "criterion": "relative"}
        for v in ("base", "a_rather_long_variant_name") for m in headline_names(KINDS)
    ])
    text = render(precision_table(SimpleNamespace(precision=precision)))
    assert_fits(text)
    assert whole("a_rather_long_variant_name", text) and whole("coded_outpatient_and_emergency_per_coder_day", text)


def test_metrics_list_has_name_unit_better_and_meaning_within_80_columns() -> None:
    text = render(metrics_table(KINDS))
    assert_fits(text)
    for m in METRICS:
        assert whole(m.name, text), m.name
    after = text[text.index("cost_per_chart"):].split("\n")
    entry = " ".join(after[:2])  # one table row, or the name line and the meaning below it
    assert "$" in entry and "lower" in entry and "labour cost per coded chart" in entry


def test_summary_of_a_real_run_fits_80_columns() -> None:
    results = sim.run(scenario(), reps=3, seed=1)
    text = render(summary_table(results))
    assert_fits(text)
    shown = set(results.summary.dropna(subset=["mean"]).query("variant == 'base'")["metric"])
    assert len(shown) > 10
    for name in headline_names(KINDS):
        if name in shown:
            assert whole(name, text), name


def test_non_terminal_console_is_80_columns_or_columns(monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console().width == 80  # pytest's stdout is not a terminal
    monkeypatch.setenv("COLUMNS", "100")
    assert make_console().width == 100


def test_cli_metrics_at_columns_80_through_a_pipe() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    code = "import sys; from sim.cli.app import main; sys.argv = ['chartsim', 'metrics']; main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_fits(done.stdout)
    for m in METRICS:
        assert whole(m.name, done.stdout), m.name


def test_cli_run_summary_is_80_wide_through_cli_runner(tmp_path) -> None:
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario().model_dump(mode="json")))
    result = CliRunner().invoke(app, ["run", str(path), "--reps", "2", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    table = result.stdout.split("wrote")[0]
    assert_fits(table)
    assert whole("coded_outpatient_and_emergency_per_coder_day", table)
