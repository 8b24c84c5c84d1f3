"""chartsim installs whole: the wheel holds every package and the bundled scenarios, and runs from an empty folder.

The wheel test builds the wheel (``pip wheel .``), installs it into a fresh
virtual environment outside the repository (no system site-packages) and
runs the installed ``chartsim`` from an empty folder, with no PYTHONPATH, so
nothing of the checkout is seen. By default the dependencies are taken from
this environment (a path entry after the fresh environment's own
site-packages) to stay within seconds; ``CHARTSIM_WHEEL_DEPS=index``
installs them from the package index instead, as a new user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import tomllib

from sim.scenario import bundled

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_in_the_wheel_list() -> None:
    """pyproject.toml lists packages by hand (for the scenarios' package-dir): none may be missing."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob("__init__.py")}
    assert found <= listed and listed - found == {"sim.scenarios"}


def test_bundled_scenarios_are_the_repository_folder() -> None:
    assert bundled.folder() == ROOT / "scenarios"
    assert bundled.names() == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def test_a_name_is_a_bundled_scenario_unless_a_file_is_meant(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert bundled.resolve("baseline") == ROOT / "scenarios" / "baseline.yaml"
    assert bundled.resolve("baseline.yaml") == Path("baseline.yaml")  # a file name stays a file name
    (tmp_path / "baseline").write_text("name: mine\n")
    assert bundled.resolve("baseline") == Path("baseline")  # an existing path wins


def test_copy_brings_what_it_extends_and_refuses_to_overwrite(tmp_path: Path) -> None:
    from sim.scenario.config import load_scenario
    from sim.scenario.errors import ScenarioError

    written = bundled.copy("department_year", tmp_path / "mine.yaml")
    assert written == [tmp_path / "mine.yaml", tmp_path / "department.yaml"]
    assert load_scenario(tmp_path / "mine.yaml") == load_scenario(ROOT / "scenarios" / "department_year.yaml")
    with pytest.raises(ScenarioError, match="mine.yaml: exists"):
        bundled.copy("department_year", tmp_path / "mine.yaml")
    (tmp_path / "department.yaml").write_text("name: changed\n")
    with pytest.raises(ScenarioError, match="differs from the bundled department.yaml"):
        bundled.copy("department_year", tmp_path / "other.yaml")
    assert not (tmp_path / "other.yaml").exists()


def test_copy_named_like_the_file_it_extends_is_refused(tmp_path: Path) -> None:
    """slow_queries extends baseline.yaml: a copy called baseline.yaml would be overwritten by the baseline."""
    from sim.scenario.errors import ScenarioError

    for force in (False, True):
        with pytest.raises(ScenarioError, match="extends or names a file called baseline.yaml"):
            bundled.copy("slow_queries", tmp_path / "baseline.yaml", force=force)
    assert not (tmp_path / "baseline.yaml").exists()


def test_copy_brings_the_files_a_starting_state_names(tmp_path: Path) -> None:
    """monday names its open charts, leave and volume forecast (monday/*.csv): the copy runs where it lands."""
    from sim.scenario.config import load_scenario

    written = bundled.copy("monday", tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "department.yaml", "monday.yaml", "monday/leave.csv", "monday/open_charts.csv", "monday/volume_forecast.csv"]
    assert load_scenario(tmp_path / "monday.yaml") == load_scenario(ROOT / "scenarios" / "monday.yaml")


@pytest.mark.wheel
def test_the_built_wheel_runs_from_an_empty_folder(tmp_path: Path) -> None:
    wheels, env_dir, empty = tmp_path / "wheels", tmp_path / "env", tmp_path / "empty"
    empty.mkdir()
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)], check=True, capture_output=True)
    wheel = next(wheels.glob("chartsim-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    from_index = os.environ.get("CHARTSIM_WHEEL_DEPS") == "index"
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--ignore-installed", *([] if from_index else ["--no-deps"]),
                    str(wheel)],
                   check=True, capture_output=True)
    if not from_index:
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        (Path(site) / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    chartsim = str(env_dir / ("Scripts/chartsim.exe" if os.name == "nt" else "bin/chartsim"))

    def run(*args: str) -> str:
        done = subprocess.run([chartsim, *args], cwd=empty, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run([str(python), "-c", "import sim; print(sim.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(env_dir)  # the installed copy, not the checkout
    assert run("--version").startswith("chartsim ")
    assert "department_year" in run("scenarios")
    assert "ok" in run("check", "department")
    assert "ok" in run("check", "monday")  # the CSV files of its starting state ship with it
    run("run", "baseline", "--reps", "5", "--out", "first")
    assert (empty / "first" / "summary.csv").is_file() and (empty / "first" / "scenario.yaml").is_file()
    run("scenarios", "copy", "department_year", "my_department.yaml")
    assert sorted(p.name for p in empty.glob("*.yaml")) == ["department.yaml", "my_department.yaml"]
    assert "ok" in run("check", "my_department.yaml")


def test_cli_lists_copies_and_runs_bundled_scenarios_by_name(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    monkeypatch.chdir(tmp_path)
    cli = CliRunner()
    listed = cli.invoke(app, ["scenarios"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert [line.split()[0] for line in lines] == bundled.names()
    assert all(line.rstrip().endswith((".", "?", "!")) for line in lines)  # a sentence each
    assert cli.invoke(app, ["--version"]).output.startswith("chartsim ")
    done = cli.invoke(app, ["run", "baseline", "--reps", "2", "--seed", "7", "--out", "b"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "b" / "summary.csv").is_file()
    missing = cli.invoke(app, ["check", "no_such_scenario"])
    assert missing.exit_code == 2 and "no bundled scenario of that name" in missing.output
    copied = cli.invoke(app, ["scenarios", "copy", "inpatient_heavy", "mine.yaml"])
    assert copied.exit_code == 0 and (tmp_path / "baseline.yaml").read_bytes() == bundled.path("baseline").read_bytes()
    again = cli.invoke(app, ["scenarios", "copy", "inpatient_heavy", "mine.yaml"])
    assert again.exit_code == 2 and "exists" in again.output
