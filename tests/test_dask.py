"""A run on a Dask cluster gives the same bytes as a local one."""

from __future__ import annotations

from pathlib import Path

from distributed import LocalCluster
from typer.testing import CliRunner

from sim.cli.app import app
from tests.conftest import SCENARIOS

TABLES = ("charts.csv", "activities.csv", "coder_days.csv", "days.csv", "replications.csv", "summary.csv",
          "comparison.csv")


def test_dask_local_cluster_same_bytes_as_local_run(tmp_path: Path) -> None:
    args = ["run", str(SCENARIOS / "slow_queries.yaml"), "--reps", "12", "--seed", "9"]
    local = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "dask"), "--dask", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    for name in TABLES:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    import json

    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["workers"] == 2  # the cluster's two workers


def test_unreachable_scheduler_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--reps", "2",
                                      "--out", str(tmp_path / "x"), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--dask" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_an_address_that_answers_as_no_scheduler_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    """Something else listening there can make the client fail in any way (a garbled reply asked for EiB)."""
    import distributed

    def garbled(*args, **kwargs):
        raise MemoryError("Unable to allocate 3.07 EiB for an array")

    monkeypatch.setattr(distributed, "Client", garbled)
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--reps", "2",
                                      "--out", str(tmp_path / "x"), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach a Dask scheduler" in result.output and "EiB" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()
