"""chartsim select: KN++ over a scenario's plans."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.selection import choose_plan
from sim.scenario.config import load_scenario
from tests.conftest import SCENARIOS

SLOW = SCENARIOS / "slow_queries.yaml"


def test_faster_answers_leave_fewer_charts_on_hold() -> None:
    """7-day answers vs 3-day answers: on_hold_end differs by ~9 charts, far beyond delta = 1."""
    choice = choose_plan(load_scenario(SLOW), "on_hold_end", delta=1.0, seed=3)
    assert choice.best == "answered_in_3_days"
    table = choice.table().set_index("plan")
    assert table.loc["base", "eliminated_at"] is not pd.NA and table.loc["answered_in_3_days", "chosen"]
    assert (table["replications"] >= 10).all()  # every plan gets its first stage (n0 = 10)


def test_selection_is_reproducible_whatever_the_workers() -> None:
    a = choose_plan(load_scenario(SLOW), "backlog_end", delta=2.0, seed=4).table()
    b = choose_plan(load_scenario(SLOW), "backlog_end", delta=2.0, seed=4, workers=2).table()
    pd.testing.assert_frame_equal(a, b)


def test_cli_writes_the_selection(tmp_path: Path) -> None:
    from sim.cli.app import app

    out = tmp_path / "sel"
    result = CliRunner().invoke(
        app, ["select", str(SLOW), "--metric", "on_hold_end", "--delta", "1", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "best plan: answered_in_3_days" in result.output
    table = pd.read_csv(out / "selection.csv")
    assert list(table.columns) == ["plan", "replications", "mean", "eliminated_at", "chosen"]
    assert table["chosen"].sum() == 1


@pytest.mark.parametrize(
    ("path", "args", "message"),
    [
        (SLOW, ["--metric", "charts_per_day", "--delta", "1"], "--metric: unknown metric 'charts_per_day'"),
        (SLOW, ["--metric", "on_hold_end", "--delta", "0"], "--delta: the indifference zone must be above 0"),
        (SCENARIOS / "baseline.yaml", ["--metric", "on_hold_end", "--delta", "1"], "no variants or sweeps"),
        (SLOW, ["--metric", "on_hold_end", "--delta", "1", "--goal", "best"], "--goal must be min or max"),
    ],
)
def test_bad_selection_settings_are_one_line_errors(path: Path, args: list[str], message: str) -> None:
    from sim.cli.app import app

    result = CliRunner().invoke(app, ["select", str(path), *args])
    assert result.exit_code == 2
    assert message in result.stderr and "\n" not in result.stderr.strip()
