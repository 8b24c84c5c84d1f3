"""The API's one call from a scenario to a run folder (sim.run_to_folder), as ``chartsim run`` uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.runs.folder import CHART_ROWS, RunRefused, claim_run
from tests.conftest import SCENARIOS
from tests.test_golden_runs import GOLDEN, digests


def test_run_to_folder_writes_the_folder_chartsim_run_writes(tmp_path: Path) -> None:
    """Same scenario, seed and reps: the same files, byte for byte, as the CLI's golden run folder."""
    results = sim.run_to_folder(sim.load_scenario(SCENARIOS / "baseline.yaml"), tmp_path / "run", reps=2, seed=7)
    assert results.reps == 2
    assert digests(tmp_path / "run") == json.loads(GOLDEN.read_text())["baseline"]
    assert not (tmp_path / "run.partial").exists()


def test_run_package_does_not_hide_the_run_function() -> None:
    """``sim.runs`` is the package; ``sim.run`` stays the function after it is imported."""
    import sim.runs.runner  # noqa: F401

    assert callable(sim.run) and callable(sim.run_to_folder)


@pytest.mark.parametrize("option, value, words", [("charts_format", "xlsx", "--charts-format"),
                                                  ("streams", "shared", "--streams")])
def test_bad_settings_are_refused_before_a_folder_is_claimed(tmp_path: Path, option: str, value: str,
                                                             words: str) -> None:
    scenario = sim.load_scenario(SCENARIOS / "baseline.yaml")
    with pytest.raises(RunRefused, match=words):
        claim_run(scenario, tmp_path / "run", **{option: value})
    assert list(tmp_path.iterdir()) == []


def test_a_claimed_run_left_unrun_leaves_nothing(tmp_path: Path) -> None:
    """A failure between the claim and the end (here before simulating) removes OUT.partial."""
    job = claim_run(sim.load_scenario(SCENARIOS / "baseline.yaml"), tmp_path / "run", reps=2)
    assert job.folder == tmp_path / "run.partial" and job.folder.is_dir()
    with pytest.raises(RuntimeError), job:
        raise RuntimeError("the cluster did not start")
    assert list(tmp_path.iterdir()) == []


def test_big_runs_leave_out_the_per_chart_tables_by_default(tmp_path: Path) -> None:
    """Above CHART_ROWS expected chart rows, charts are off unless asked for, and written as Parquet."""
    scenario = sim.load_scenario(SCENARIOS / "baseline.yaml")
    per_rep = sum(scenario.expected_charts().values()) * (1 + len(scenario.expanded()))
    reps = int(CHART_ROWS // per_rep) + 1
    big = claim_run(scenario, tmp_path / "big", reps=reps)
    big.claim.discard()  # claimed only to look at its settings
    assert big.charts_dropped and not big.settings["charts"] and big.settings["charts_format"] == "parquet"
    small = claim_run(scenario, tmp_path / "small", reps=reps - 1)
    small.claim.discard()
    assert not small.charts_dropped and small.settings["charts"] and small.settings["charts_format"] == "csv"
    assert list(tmp_path.iterdir()) == []


def test_the_cli_help_states_the_api_threshold() -> None:
    from sim.cli.app import CHART_ROWS as SHOWN

    assert SHOWN == CHART_ROWS


@pytest.mark.parametrize("workers", [1, 2])
def test_replications_and_days_written_from_the_tasks_rows_are_the_tables_bytes(tmp_path: Path, workers: int) -> None:
    """The tasks render replications.csv and days.csv rows; joined in table order they are the frames' own CSV.

    A variant reporting other metrics (here: outsourcing) renders other columns: that table is written from its frame.
    """
    from sim.runs.chart_files import write_csv

    scenario = sim.load_scenario("baseline")
    results = sim.run_to_folder(scenario, tmp_path / "run", reps=40, seed=3, workers=workers)
    assert sorted(results.rendered) == ["days", "replications"]
    for table in ("replications", "days"):
        write_csv(getattr(results, table), tmp_path / f"{table}.csv")
        assert (tmp_path / "run" / f"{table}.csv").read_bytes() == (tmp_path / f"{table}.csv").read_bytes()

    mixed = sim.run_to_folder(sim.load_scenario("department_year"), tmp_path / "mixed", reps=1, seed=3)
    assert "replications" not in mixed.rendered  # a vendor variant adds its metrics' columns
    write_csv(mixed.replications, tmp_path / "mixed.csv")
    assert (tmp_path / "mixed" / "replications.csv").read_bytes() == (tmp_path / "mixed.csv").read_bytes()
