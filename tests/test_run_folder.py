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


def _sections_by_variant() -> sim.Scenario:
    """A base without the optional sections, and variants that each turn one on (their tables gain columns)."""
    from sim.scenario.config import parse_scenario

    raw = sim.load_scenario("baseline").model_dump(mode="json")
    raw["coders"].update(count=2, teams={"audit": {"count": 1, "level": "experienced"}})
    errors = {"error_probability": {"inpatient": 0.05, "outpatient": 0.02, "surgical": 0.05}}
    raw["variants"] = {
        "vendor": {"set": {"outsourcing": {"share": {"outpatient": 0.5}}}},
        "audited": {"set": {"accuracy": errors, "audits": {
            "share": 0.2, "team": "audit", "audit_time": {"dist": "uniform", "low": 10, "high": 15}}}},
        "absence": {"set": {"absence": {"unplanned_probability": 0.1}}},
    }
    return parse_scenario(raw)


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_tables_carry_every_variants_columns(tmp_path: Path, workers: int) -> None:
    """Variants that add columns (a vendor, audits, absence): each streamed table has one header, the union of
    the columns, and every row its fields; the bytes are the tables written whole from the joined frames."""
    import pandas as pd

    from sim.runs.chart_files import write_csv

    scenario = _sections_by_variant()
    sim.run_to_folder(scenario, tmp_path / "run", reps=3, seed=5, workers=workers, charts=True)
    whole = sim.run(scenario, reps=3, seed=5)
    for table, frame in (("charts", whole.charts), ("activities", whole.activities),
                         ("coder_days", whole.coder_days)):
        write_csv(frame, tmp_path / f"{table}.csv")
        assert (tmp_path / "run" / f"{table}.csv").read_bytes() == (tmp_path / f"{table}.csv").read_bytes(), table
    charts = pd.read_csv(tmp_path / "run" / "charts.csv")
    by_variant, rows = charts.groupby("variant"), charts["variant"].value_counts()
    # a variant's own columns are filled in its rows only, empty in the others'
    assert by_variant["outsourced"].count().to_dict() == {"absence": 0, "audited": 0, "base": 0,
                                                          "vendor": rows["vendor"]}
    assert by_variant["to_audit"].count().to_dict() == {"absence": 0, "audited": rows["audited"], "base": 0,
                                                        "vendor": 0}
    days = pd.read_csv(tmp_path / "run" / "coder_days.csv")
    assert list(days.columns)[-2:] == ["absent_minutes", "warmup"]
    assert days.groupby("variant")["absent_minutes"].count().to_dict() == {
        "absence": 3 * 3, "audited": 0, "base": 0, "vendor": 0}


def test_parquet_parts_share_one_schema_when_variants_add_columns(tmp_path: Path) -> None:
    """pandas.read_parquet reads the folder with the first part's schema: every part has every variant's columns."""
    import pandas as pd
    import pyarrow.parquet as pq

    scenario = _sections_by_variant()
    sim.run_to_folder(scenario, tmp_path / "run", reps=3, seed=5, charts=True, charts_format="parquet")
    parts = sorted((tmp_path / "run" / "charts.parquet").glob("part-*.parquet"))
    schemas = {pq.read_schema(p).remove_metadata() for p in parts}
    assert len(parts) == 4 and len(schemas) == 1
    charts = pd.read_parquet(tmp_path / "run" / "charts.parquet")
    whole = sim.run(scenario, reps=3, seed=5).charts
    assert list(charts.columns) == list(whole.columns)
    vendor = charts.loc[charts["variant"] == "vendor"]
    assert vendor["outsourced"].notna().all() and charts.loc[charts["variant"] != "vendor", "outsourced"].isna().all()
    assert (vendor["outsourced"].astype(bool).to_numpy() == whole.loc[whole["variant"] == "vendor", "outsourced"]
            .astype(bool).to_numpy()).all()
