"""An interrupted run, resumed, ends with the same bytes as one never interrupted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.runs.checkpoint
import sim.runs.tasks
from sim.cli.app import app
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "slow_queries.yaml"  # a base and a variant: tasks of two variants, queries, breaks
ARGS = ["--reps", "9", "--seed", "4", "--charts"]
TABLES = ("charts.csv", "activities.csv", "coder_days.csv", "days.csv", "replications.csv", "summary.csv",
          "comparison.csv", "percentiles.csv", "warmup.csv", "turnaround.csv")


def _run(*args: str):
    return CliRunner().invoke(app, ["run", str(SCENARIO), *args])


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, finished: int) -> None:
    """Ctrl-C while the task after ``finished`` tasks is being saved: its rows are on disk, not journalled."""
    save = sim.runs.checkpoint.Checkpoint.__call__
    calls = {"n": 0}

    def interrupted(self, chunk) -> None:
        if calls["n"] == finished:
            if self.stream is not None:
                self.stream(chunk)  # half-saved: the per-chart rows written, the journal not
            raise KeyboardInterrupt
        calls["n"] += 1
        save(self, chunk)

    monkeypatch.setattr(sim.runs.checkpoint.Checkpoint, "__call__", interrupted)


def test_resumed_run_has_the_bytes_of_an_uninterrupted_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _run(*ARGS, "--out", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output

    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 2)  # many small tasks
    with monkeypatch.context() as m:
        _interrupt_after(m, finished=6)  # the base's 9 replications done, the variant's first 3 done
        stopped = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert stopped.exit_code == 130
    partial = tmp_path / "run.partial"
    assert partial.is_dir() and not (tmp_path / "run").exists()
    assert "--resume" in stopped.output

    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 3)  # other task sizes on resume: same numbers
    resumed = _run("--resume", str(partial), "--workers", "2")
    assert resumed.exit_code == 0, resumed.output
    assert not partial.exists() and not (tmp_path / "run" / sim.runs.checkpoint.CHECKPOINT).exists()
    for name in TABLES:
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_resume_refuses_another_scenario_or_a_stranger_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 2)
    with monkeypatch.context() as m:
        _interrupt_after(m, finished=1)
        assert _run(*ARGS, "--out", str(tmp_path / "run")).exit_code == 130
    other = CliRunner().invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--resume", str(tmp_path / "run.partial")])
    assert other.exit_code == 2 and "not the scenario" in other.output
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    result = _run("--resume", str(stranger))
    assert result.exit_code == 2 and "not an interrupted chartsim run" in result.output
    again = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert again.exit_code == 2 and "--resume" in again.output  # a fresh run does not overwrite the partial one


def test_a_failed_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, chunk) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sim.runs.checkpoint.Checkpoint, "__call__", broken)
    result = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_parquet_run_resumed_has_the_rows_of_the_csv_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-chart tables as Parquet: the same rows as the CSV files, also after an interruption half-way."""
    import pandas as pd

    whole = _run(*ARGS, "--out", str(tmp_path / "csv"))
    assert whole.exit_code == 0, whole.output
    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 2)
    with monkeypatch.context() as m:
        _interrupt_after(m, finished=4)
        stopped = _run(*ARGS, "--charts-format", "parquet", "--out", str(tmp_path / "pq"))
    assert stopped.exit_code == 130
    parts = sorted((tmp_path / "pq.partial" / "charts.parquet").glob("*.parquet"))
    assert len(parts) == 5  # four journalled tasks and the half-saved fifth, dropped on resume
    resumed = _run("--resume", str(tmp_path / "pq.partial"))
    assert resumed.exit_code == 0, resumed.output
    for table in ("charts", "activities"):
        from_csv = pd.read_csv(tmp_path / "csv" / f"{table}.csv")
        from_parquet = pd.read_parquet(tmp_path / "pq" / f"{table}.parquet")
        assert list(from_parquet.columns) == list(from_csv.columns)
        for column in from_csv.columns:
            a, b = from_csv[column], from_parquet[column]
            if a.dtype.kind == "f" or b.dtype.kind in "fiu" or str(b.dtype) == "Int64":
                assert a.astype(float).equals(b.astype(float)), (table, column)  # exact, NaN where NaN
            else:
                assert a.astype(str).tolist() == b.astype(str).tolist(), (table, column)
    assert not (tmp_path / "pq" / "charts.csv").exists()


def test_charts_format_is_checked(tmp_path: Path) -> None:
    result = _run(*ARGS, "--charts-format", "xlsx", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--charts-format" in result.output and not (tmp_path / "x").exists()


def test_precision_run_resumed_stops_where_an_uninterrupted_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --precision run stopped between checks goes on from its checkpoint and ends with the same bytes."""
    args = ["--reps", "4", "--seed", "2", "--charts", "--precision", "0.02", "--max-reps", "34"]
    whole = _run(*args, "--out", str(tmp_path / "whole"))
    assert whole.exit_code in (0, 3), whole.output
    reached = len((tmp_path / "whole" / "replications.csv").read_text().splitlines()) - 1
    assert reached > 2 * 4  # several checks: the interruption below falls after the first

    monkeypatch.setattr(sim.runs.tasks, "MAX_REPS_PER_CHUNK", 2)
    with monkeypatch.context() as m:
        _interrupt_after(m, finished=7)  # past the first check (4 reps × 2 variants in 4 tasks), mid-way through the next
        stopped = _run(*args, "--out", str(tmp_path / "run"))
    assert stopped.exit_code == 130
    partial = tmp_path / "run.partial"
    assert partial.is_dir() and "--resume" in stopped.output

    resumed = _run("--resume", str(partial))
    assert resumed.exit_code == whole.exit_code, resumed.output
    for name in (*TABLES, "precision.csv"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_a_stop_before_the_first_checkpoint_leaves_nothing_to_resume(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C (or SIGTERM) before anything could be checkpointed (connecting to a cluster, starting the workers):
    the folder is removed and the run says nothing was written, so the same --out can simply be run again."""
    import sim.runs.folder

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runs.folder.Checkpoint, "__init__", stopped)
    result = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert result.exit_code == 130 and "nothing was written" in result.output and "--resume" not in result.output
    assert not (tmp_path / "run.partial").exists() and not (tmp_path / "run").exists()
    monkeypatch.undo()
    assert _run(*ARGS, "--out", str(tmp_path / "run")).exit_code == 0


def test_a_stop_after_the_tables_are_written_is_resumed_to_the_same_folder(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C while the workers shut down, the tables all written: the checkpoint is still there (it goes only
    once the folder is out), so --resume finishes it with the bytes of a run never stopped."""
    import sim.runs.folder

    whole = _run(*ARGS, "--out", str(tmp_path / "whole"))
    run = sim.runs.folder.ClaimedRun.run

    def written_then_stopped(self, *args, **kwargs):
        run(self, *args, **kwargs)
        raise KeyboardInterrupt  # as while the worker pool shuts down, before the folder is renamed

    with monkeypatch.context() as m:
        m.setattr(sim.runs.folder.ClaimedRun, "run", written_then_stopped)
        stopped = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert stopped.exit_code == 130 and "--resume" in stopped.output
    resumed = _run("--resume", str(tmp_path / "run.partial"))
    assert resumed.exit_code == 0, resumed.output
    assert not (tmp_path / "run" / sim.runs.checkpoint.CHECKPOINT).exists()
    for name in TABLES:
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert whole.exit_code == 0
