"""Bad scenarios are refused before any work: one line naming the file and field, exit 2."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.app import app
from tests.conftest import SCENARIOS

BASE = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())


def changed(path: str, value: object) -> dict:
    data = copy.deepcopy(BASE)
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[keys[-1]] = value
    return data


CASES = {
    "negative time": (changed("chart_types.inpatient.coding_time", {"dist": "uniform", "low": -3, "high": 20}),
                      "chart_types.inpatient.coding_time.low", "greater than or equal to 0"),
    "min above max": (changed("chart_types.inpatient.coding_time", {"dist": "uniform", "low": 25, "high": 20}),
                      "chart_types.inpatient.coding_time", "must not be above high"),
    "NaN time": (changed("chart_types.outpatient.coding_time", {"dist": "fixed", "value": float("nan")}),
                 "chart_types.outpatient.coding_time.value", "finite number"),
    "probability above 1": (changed("chart_types.inpatient.query.probability", 1.5),
                            "chart_types.inpatient.query.probability", "less than or equal to 1"),
    "unknown key": (changed("coders.cuont", 3), "coders.cuont", "unknown setting"),
    "zero coders": (changed("coders.count", 0), "coders.count", "at least one coder"),
    "wrong type": (changed("days", "many"), "days", "valid integer"),
    "absurd size": (changed("days", 10**7), "days", "less than or equal to 3650"),
    "absurd volume": (changed("arrivals.daily", {"inpatient": {"count": {"dist": "poisson", "mean": 900_000}}})
                      | {"days": 30}, "arrivals", "at most 5,000,000"),
    "unknown distribution": (changed("chart_types.surgical.coding_time", {"dist": "beta", "a": 2}),
                             "chart_types.surgical.coding_time", "dist must be one of"),
    "mix not adding up": (changed("arrivals.mix", {"inpatient": 0.5, "outpatient": 0.6}),
                          "arrivals.mix", "add up to 1"),
    "bad clock time": (changed("shift.start", "8 o'clock"), "shift.start", "08:00"),
    "unknown chart type in mix": (changed("arrivals.mix", {"inpatient": 0.5, "dental": 0.5}),
                                  "arrivals.mix", "unknown chart type 'dental'"),
}


def invoke(path: Path):
    return CliRunner().invoke(app, ["run", str(path), "--reps", "2", "--out", str(path.parent / "out")])


@pytest.mark.parametrize("case", CASES)
def test_bad_value_is_refused_with_one_line(case: str, write_scenario) -> None:
    data, field, allowed = CASES[case]
    path = write_scenario(data)
    result = invoke(path)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert str(path) in message and field in message and allowed in message, message
    assert not (path.parent / "out").exists()


TEXT_CASES = {
    "empty file": ("", "the file is empty"),
    "syntax error": ("chart_types: {inpatient: [\n", "not valid YAML at line"),
    "python object tag": ("!!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
    "not a mapping": ("- just\n- a list\n", "top level must be a mapping"),
}


@pytest.mark.parametrize("case", TEXT_CASES)
def test_unreadable_file_is_refused(case: str, write_scenario) -> None:
    text, expected = TEXT_CASES[case]
    path = write_scenario(text)
    result = invoke(path)
    assert result.exit_code == 2
    assert expected in result.stderr and str(path) in result.stderr
    assert "\n" not in result.stderr.strip()


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    result = invoke(path)
    assert result.exit_code == 2 and "not a text file" in result.stderr


def test_missing_file_is_refused(tmp_path: Path) -> None:
    result = invoke(tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "cannot read the file" in result.stderr


def test_check_accepts_the_bundled_scenarios() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        result = CliRunner().invoke(app, ["check", str(path)])
        assert result.exit_code == 0, (path, result.output)


def test_real_process_prints_no_traceback(write_scenario) -> None:
    path = write_scenario(changed("coders.count", -1))
    proc = subprocess.run(
        [sys.executable, "-c", "from sim.cli.app import main; main()", "run", str(path), "--out", str(path.parent / "o")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "coders.count" in proc.stderr
    assert not (path.parent / "o").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "SCENARIO", "--reps", "0"], "chartsim run: Invalid value for '--reps'"),
        (["run", "SCENARIO", "--bogus"], "chartsim run: No such option: --bogus"),
        (["run"], "chartsim run: Missing argument"),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    args = [str(SCENARIOS / "baseline.yaml") if a == "SCENARIO" else a for a in args]
    proc = subprocess.run(
        [sys.executable, "-c", "from sim.cli.app import main; main()", *args], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
