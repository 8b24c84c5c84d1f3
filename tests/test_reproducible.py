"""Same scenario and seed → the same bytes, whatever the number of workers."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app
from tests.conftest import SCENARIOS

RUNNER = CliRunner()
TABLES = ("charts.csv", "coder_days.csv", "days.csv", "replications.csv", "summary.csv", "scenario.yaml")


def run(out: Path, *args: str) -> None:
    result = RUNNER.invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), *args])
    assert result.exit_code == 0, result.output


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    run(tmp_path / "a", "--reps", "30", "--seed", "11")
    run(tmp_path / "b", "--reps", "30", "--seed", "11")
    for name in TABLES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_other_seed_other_numbers(tmp_path: Path) -> None:
    run(tmp_path / "a", "--reps", "30", "--seed", "11")
    run(tmp_path / "b", "--reps", "30", "--seed", "12")
    assert (tmp_path / "a" / "charts.csv").read_bytes() != (tmp_path / "b" / "charts.csv").read_bytes()


def test_two_workers_same_bytes_as_one(tmp_path: Path) -> None:
    # 120 replications are three chunks, so two processes really share the work
    run(tmp_path / "one", "--reps", "120", "--seed", "3", "--workers", "1")
    run(tmp_path / "two", "--reps", "120", "--seed", "3", "--workers", "2")
    for name in TABLES:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_replication_does_not_depend_on_how_many_run(tmp_path: Path) -> None:
    """Replication r is the same whether 10 or 30 replications are run."""
    import pandas as pd

    run(tmp_path / "few", "--reps", "10", "--seed", "4")
    run(tmp_path / "many", "--reps", "30", "--seed", "4")
    few = pd.read_csv(tmp_path / "few" / "charts.csv")
    many = pd.read_csv(tmp_path / "many" / "charts.csv")
    pd.testing.assert_frame_equal(few, many.loc[many["replication"] < 10].reset_index(drop=True))
