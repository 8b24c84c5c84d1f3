"""An interrupted run, resumed, ends with the same bytes as one never interrupted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.chunk
import sim.output
from sim.cli import app
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "slow_queries.yaml"  # a base and a variant: tasks of two variants, queries, breaks
ARGS = ["--reps", "9", "--seed", "4", "--charts"]
TABLES = ("charts.csv", "activities.csv", "coder_days.csv", "days.csv", "replications.csv", "summary.csv",
          "comparison.csv", "percentiles.csv", "warmup.csv")


def _run(*args: str):
    return CliRunner().invoke(app, ["run", str(SCENARIO), *args])


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, finished: int) -> None:
    """Ctrl-C while the task after ``finished`` tasks is being saved: its rows are on disk, not journalled."""
    save = sim.output.Checkpoint.__call__
    calls = {"n": 0}

    def interrupted(self, chunk) -> None:
        if calls["n"] == finished:
            if self.stream is not None:
                self.stream(chunk)  # half-saved: the per-chart rows written, the journal not
            raise KeyboardInterrupt
        calls["n"] += 1
        save(self, chunk)

    monkeypatch.setattr(sim.output.Checkpoint, "__call__", interrupted)


def test_resumed_run_has_the_bytes_of_an_uninterrupted_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _run(*ARGS, "--out", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output

    monkeypatch.setattr(sim.chunk, "MAX_REPS_PER_CHUNK", 2)  # many small tasks
    with monkeypatch.context() as m:
        _interrupt_after(m, finished=6)  # the base's 9 replications done, the variant's first 3 done
        stopped = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert stopped.exit_code == 130
    partial = tmp_path / "run.partial"
    assert partial.is_dir() and not (tmp_path / "run").exists()
    assert "--resume" in stopped.output

    monkeypatch.setattr(sim.chunk, "MAX_REPS_PER_CHUNK", 3)  # other task sizes on resume: same numbers
    resumed = _run("--resume", str(partial), "--workers", "2")
    assert resumed.exit_code == 0, resumed.output
    assert not partial.exists() and not (tmp_path / "run" / sim.output.CHECKPOINT).exists()
    for name in TABLES:
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_resume_refuses_another_scenario_or_a_stranger_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.chunk, "MAX_REPS_PER_CHUNK", 2)
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

    monkeypatch.setattr(sim.output.Checkpoint, "__call__", broken)
    result = _run(*ARGS, "--out", str(tmp_path / "run"))
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []
