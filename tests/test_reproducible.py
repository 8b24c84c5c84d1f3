"""Same scenario and seed → the same bytes, whatever the number of workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from tests.conftest import ROOT, SCENARIOS

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


def test_streamed_chart_tables_equal_the_kept_ones(tmp_path: Path) -> None:
    """The CLI streams charts.csv and activities.csv task by task; the bytes equal a table written whole."""
    import sim
    from sim.runs.write import write_run

    path = SCENARIOS / "slow_queries.yaml"  # a base and a variant, queries, breaks
    result = RUNNER.invoke(app, ["run", str(path), "--out", str(tmp_path / "streamed"), "--reps", "7", "--seed", "5",
                                 "--workers", "2"])
    assert result.exit_code == 0, result.output
    kept = sim.run(sim.load_scenario(path), reps=7, seed=5, keep_charts=True)
    write_run(kept, tmp_path / "kept")
    for name in ("charts.csv", "activities.csv", "coder_days.csv", "replications.csv", "summary.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name


def test_task_size_does_not_change_the_numbers(monkeypatch) -> None:
    import pandas as pd

    import sim
    import sim.runs.tasks

    scenario = sim.load_scenario(SCENARIOS / "slow_queries.yaml")
    whole = sim.run(scenario, reps=6, seed=2)
    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 1)
    one_by_one = sim.run(scenario, reps=6, seed=2)
    for table in ("replications", "summary", "coder_days", "days", "charts", "activities"):
        pd.testing.assert_frame_equal(getattr(whole, table), getattr(one_by_one, table), obj=table)


def test_automatic_warmup_does_not_depend_on_the_number_of_replications() -> None:
    """MSER-5 looks at a fixed pilot of the base, so 5 or 25 replications cut the same days."""
    import sim

    scenario = sim.load_scenario(SCENARIOS / "slow_queries.yaml").with_changes({"warmup_days": "auto"}, "auto")
    few, many = sim.run(scenario, reps=3, seed=8), sim.run(scenario, reps=25, seed=8)
    assert few.warmup == many.warmup
    assert many.replications.loc[many.replications["replication"] < 3].reset_index(drop=True).equals(
        few.replications.reset_index(drop=True))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux's (Python 3.14's default there)")
def test_workers_start_whatever_start_method_the_interpreter_defaults_to() -> None:
    """Python 3.14 starts pool workers from a fork server on Linux; a run's workers are forked all the same.

    Each worker checks it is the run's own child (it dies with it): started
    by a fork server it was not, and every task failed.
    """
    code = (
        "import multiprocessing, sys, sim\n"
        "multiprocessing.set_start_method('forkserver')\n"
        "s = sim.load_scenario(sys.argv[1])\n"
        "two = sim.run(s, reps=6, seed=3, workers=2, keep_charts=False).replications\n"
        "one = sim.run(s, reps=6, seed=3, workers=1, keep_charts=False).replications\n"
        "print(two.equals(one))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code, str(SCENARIOS / "baseline.yaml")], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr[-3000:]


def test_stacked_tables_are_each_variant_run_alone_even_when_variants_add_columns(monkeypatch) -> None:
    """Results' tables join the tasks' parts, the variant column first; variants need not share columns.

    Unlike the bundled runs, the base here reports no vendor metrics while one variant does (outsourcing set
    by the variant), and the tasks are cut unevenly (3 replications a task, 7 in all): every variant's rows
    must be that variant simulated alone, in replication order, its missing metrics empty.
    """
    import pandas as pd
    import yaml

    import sim
    import sim.runs.tasks as tasks
    from sim.scenario.config import parse_scenario

    data = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    data["coders"]["count"] = 2
    data["variants"] = {
        "vendor": {"set": {"outsourcing": {"share": {"outpatient": 0.5}, "fee_per_chart": {"outpatient": 4.0},
                                           "turnaround": {"dist": "uniform", "low": 1, "high": 3, "unit": "days"},
                                           "error_rate": 0.05}}},
        "slower": {"set": {"chart_types.inpatient.coding_time.low": 18, "chart_types.inpatient.coding_time.high": 24}},
    }
    scenario = parse_scenario(data)
    monkeypatch.setattr(tasks, "MAX_REPS_PER_CHUNK", 3)
    together = sim.run(scenario, reps=7, seed=4)
    assert list(together.replications.columns[:2]) == ["variant", "replication"]
    for name, variant in [("base", scenario), *scenario.expanded().items()]:
        alone = sim.run(variant.model_copy(update={"variants": {}, "sweeps": {}}), reps=7, seed=4)
        for table in ("replications", "days", "coder_days", "charts"):
            mine = getattr(together, table)
            mine = mine.loc[mine["variant"] == name].reset_index(drop=True)
            own = getattr(alone, table)
            assert mine["replication"].tolist() == own["replication"].tolist()
            # a whole-number column some variant lacks is float in the joined table (its empty cells): values compared
            pd.testing.assert_frame_equal(mine[own.columns[1:]], own[own.columns[1:]], check_exact=True,
                                          check_dtype=False)
            assert mine.drop(columns=own.columns).isna().all().all()  # other variants' metrics: empty here
