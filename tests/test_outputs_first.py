"""Output folders are checked and claimed before anything is simulated.

A bad ``--out`` costs the user a second, not the hours of a long run; a
second run to the same ``--out`` is refused at once; a killed run's hidden
temporary folder is swept away by the next run beside it, and nothing that is
not chartsim's own temporary folder is ever touched.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.runs.folders import OWNER, TEMP_SUFFIX, OutputError, claim, reclaim, sweep
from tests.conftest import SCENARIOS

DEPARTMENT = str(SCENARIOS / "department.yaml")  # a base and variants: every command has plans to simulate
LONG = {  # each would simulate for many minutes if the output were not refused first
    "run": ["run", DEPARTMENT, "--reps", "100000", "--workers", "2"],
    "run --precision": ["run", DEPARTMENT, "--precision", "0.0001", "--max-reps", "100000"],
    "staff": ["staff", DEPARTMENT, "--target", "backlog_end <= 0", "--coders", "1..60", "--reps", "100000"],
    "select": ["select", DEPARTMENT, "--metric", "backlog_end", "--delta", "0.0001", "--n0", "10000",
               "--max-reps", "100000"],
}
QUICK = 5.0  # seconds: refused before the first replication


def _exists(tmp: Path) -> Path:
    (tmp / "out").mkdir()
    return tmp / "out"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "a_file").write_text("")
    return tmp / "a_file" / "out"


def _proc(tmp: Path) -> Path:
    if not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    return Path("/proc/chartsim-out")


def _long_name(tmp: Path) -> Path:
    return tmp / ("x" * 300)


def _read_only(tmp: Path) -> Path:
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("permissions do not bind root")
    (tmp / "ro").mkdir(mode=0o500)
    return tmp / "ro" / "out"


BAD = {"exists": _exists, "under a file": _under_a_file, "/proc": _proc, "300-character name": _long_name,
       "read-only parent": _read_only}


def _invoke(command: str, out: Path):
    started = time.perf_counter()
    result = CliRunner().invoke(app, [*LONG[command], "--out", str(out)])
    return result, time.perf_counter() - started


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("command", LONG)
def test_a_bad_out_is_refused_before_simulating(command: str, bad: str, tmp_path: Path) -> None:
    out = BAD[bad](tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result, seconds = _invoke(command, out)
    assert result.exit_code == 2, result.output
    assert _one_line(result).startswith("error: --out: ")
    assert seconds < QUICK
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing left behind


@pytest.mark.parametrize("resumable", [True, False], ids=["OUT.partial", "temporary"])
@pytest.mark.parametrize("command", LONG)
def test_a_second_run_to_the_same_out_is_refused_at_once(command: str, resumable: bool, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = claim(out, resumable=resumable)  # another run, writing: its folder claimed and locked
    try:
        result, seconds = _invoke(command, out)
        assert result.exit_code == 2, result.output
        line = _one_line(result)
        assert line.startswith("error: --out: another chartsim run") and str(os.getpid()) in line, line
        assert seconds < QUICK
        assert first.folder.is_dir() and not out.exists()
    finally:
        first.discard()
    assert list(tmp_path.iterdir()) == []


def test_missing_parents_are_made_and_removed_again(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    taken = claim(out)
    assert taken.folder.is_dir() and taken.folder.parent == out.parent
    taken.discard()
    assert list(tmp_path.iterdir()) == []
    with claim(out) as folder:
        (folder / "x.csv").write_text("1\n")
    assert (out / "x.csv").read_text() == "1\n" and not (out / OWNER).exists()


def test_a_killed_runs_temporary_folder_is_swept_and_nothing_else(tmp_path: Path) -> None:
    def folder(name: str, owner: str | None) -> Path:
        path = tmp_path / name
        path.mkdir()
        if owner is not None:
            (path / OWNER).write_text(owner)
        return path

    stale = folder(f".old{TEMP_SUFFIX}", "999999999\n")  # its process is gone: no lock held
    foreign = folder(f".mine{TEMP_SUFFIX}", None)  # no owner file: not known to be chartsim's
    other = folder(".old.keep", "999999999\n")  # not a chartsim temporary name
    being_made = folder(f".new{TEMP_SUFFIX}", "")  # owner file not written yet
    (tmp_path / f".file{TEMP_SUFFIX}").write_text("")  # not a folder
    live = claim(tmp_path / "live")  # a run still writing
    try:
        with claim(tmp_path / "next"):
            pass
        assert not stale.exists()
        assert foreign.is_dir() and other.is_dir() and being_made.is_dir() and live.folder.is_dir()
        assert (tmp_path / f".file{TEMP_SUFFIX}").is_file() and (tmp_path / "next").is_dir()
        assert sweep(tmp_path) == []
    finally:
        live.discard()


def test_an_interrupted_partial_is_taken_over_unless_it_is_being_written(tmp_path: Path) -> None:
    writing = claim(tmp_path / "out", resumable=True)
    with pytest.raises(OutputError, match="another chartsim run"):
        reclaim(writing.folder)
    writing.release()  # interrupted: the folder stays, to be resumed
    assert writing.folder.is_dir() and not (writing.folder / OWNER).exists()
    (writing.folder / OWNER).write_text("999999999\n")  # as a killed run leaves it
    again = reclaim(writing.folder)
    assert (writing.folder / OWNER).read_text().strip() == str(os.getpid())
    again.out = tmp_path / "out"
    with again:
        pass
    assert (tmp_path / "out").is_dir() and not (tmp_path / "out.partial").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_a_partial_folder_blocks_a_fresh_run_with_the_way_to_resume(tmp_path: Path) -> None:
    (tmp_path / "out.partial").mkdir()
    result, _ = _invoke("run", tmp_path / "out")
    assert result.exit_code == 2 and "--resume" in _one_line(result)
