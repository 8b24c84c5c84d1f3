"""The command surface: every command registered, warnings a user must see."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

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
    one = RUNNER.invoke(app, args)
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
