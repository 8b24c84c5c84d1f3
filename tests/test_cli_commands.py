"""The command surface: every command registered, warnings a user must see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.runs.executor as executor
from sim.cli.app import app
from tests.conftest import SCENARIOS

RUNNER = CliRunner()


def test_every_command_is_registered() -> None:
    result = RUNNER.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "check", "metrics", "staff", "select", "report", "fit"):
        assert f" {command} " in result.output, command


def test_check_warns_of_chart_types_nobody_codes(tmp_path: Path) -> None:
    text = (SCENARIOS / "baseline.yaml").read_text().replace(
        "skills: null", "skills: [inpatient, outpatient]\n  allow_uncoded_types: true", 1)
    path = tmp_path / "uncoded.yaml"
    path.write_text(text)
    result = RUNNER.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: no coder codes surgical" in result.output


def test_select_takes_workers_and_gives_the_same_choice(tmp_path: Path) -> None:
    args = ["select", str(SCENARIOS / "slow_queries.yaml"), "--metric", "on_hold_end", "--delta", "1", "--seed", "3"]
    one = RUNNER.invoke(app, [*args, "--workers", "1"])
    two = RUNNER.invoke(app, [*args, "--workers", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert one.output == two.output


def test_optional_sections_bring_their_metrics_to_metrics_and_targets(tmp_path: Path) -> None:
    year = str(SCENARIOS / "department_year.yaml")
    listed = RUNNER.invoke(app, ["metrics", year], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "dnfb_days" in listed.output and "shrinkage" in listed.output
    plain = RUNNER.invoke(app, ["metrics", str(SCENARIOS / "baseline.yaml")], env={"COLUMNS": "200"})
    assert "dnfb_days" not in plain.output
    wrong = RUNNER.invoke(app, ["staff", str(SCENARIOS / "baseline.yaml"), "--target", "dnfb_days <= 3",
                                "--out", str(tmp_path / "s")])
    assert wrong.exit_code == 2 and "dnfb_days" in wrong.output


def test_a_variants_own_sections_bring_their_metrics_to_metrics_and_precision(tmp_path: Path) -> None:
    """Absence set by a variant only: its runs report shrinkage for that variant, so the names are known."""
    path = tmp_path / "absent.yaml"
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\n"
                    "variants:\n  absent: {set: {absence: {unplanned_probability: 0.1}}}\n")
    listed = RUNNER.invoke(app, ["metrics", str(path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "shrinkage" in listed.output
    run = RUNNER.invoke(app, ["run", str(path), "--precision", "0.5", "--metric", "shrinkage", "--reps", "3",
                              "--max-reps", "3", "--out", str(tmp_path / "run"), "--no-charts"])
    assert "unknown metric" not in run.output and run.exit_code in (0, 3), run.output
    assert (tmp_path / "run" / "precision.csv").read_text().count("shrinkage") == 1  # judged for the variant


def test_workers_auto_takes_the_cpus_only_for_work_that_repays_starting_them(monkeypatch) -> None:
    monkeypatch.setattr(executor, "usable_cpus", lambda: 4)
    assert executor.auto_workers(executor.AUTO_MIN_CHARTS - 1) == 1
    assert executor.auto_workers(executor.AUTO_MIN_CHARTS) == 4
    monkeypatch.setattr(executor, "usable_cpus", lambda: 64)
    assert executor.auto_workers(10 * executor.AUTO_MIN_CHARTS) == executor.MAX_AUTO_WORKERS


def test_run_without_workers_stays_in_one_process_when_small_and_uses_the_cpus_when_big(tmp_path: Path) -> None:
    small = RUNNER.invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--reps", "20", "--out", str(tmp_path / "s")])
    assert small.exit_code == 0, small.output
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["workers"] == 1
    assert "worker processes" not in small.output
    # baseline expects 32.5 charts a replication (25–40 at login): 3,334 replications pass auto's 100,000 charts
    reps = str(-(-executor.AUTO_MIN_CHARTS // 30))
    big = RUNNER.invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--reps", reps, "--no-charts",
                              "--out", str(tmp_path / "b")])
    assert big.exit_code == 0, big.output
    used = min(executor.usable_cpus(), executor.MAX_AUTO_WORKERS)
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["workers"] == used
    assert (f"on {used} worker processes" in big.output) == (used > 1)


@pytest.mark.parametrize("value", ["0", "257", "two", "1.5", "", "²", "9" * 5000],
                         ids=["zero", "257", "word", "decimal", "empty", "superscript", "5000-digits"])
@pytest.mark.parametrize("command", ["run", "staff", "plan", "select", "fit"])
def test_a_bad_workers_is_one_line_and_nothing_is_written(tmp_path: Path, command: str, value: str) -> None:
    out = tmp_path / "out"
    scenario = str(SCENARIOS / "baseline.yaml")
    args = {
        "run": ["run", scenario, "--reps", "2"],
        "staff": ["staff", scenario, "--target", "turnaround_p95_days <= 3", "--coders", "1..2"],
        "plan": ["plan", str(SCENARIOS / "department_plan.yaml"), "--target", "turnaround_p95_days <= 3"],
        "select": ["select", scenario, "--metric", "on_hold_end", "--delta", "1"],
        "fit": ["fit", str(tmp_path / "log.csv")],
    }[command]
    result = RUNNER.invoke(app, [*args, "--out", str(out), "--workers", value])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: --workers must be a whole number from 1 to 256, or auto (got {value!r})"]
    assert not out.exists() and not any(tmp_path.iterdir())
