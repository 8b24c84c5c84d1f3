"""Careless and hostile scenario files are refused fast, with one line naming the field and what is allowed.

Each case changes the bundled baseline by text (as a user would edit it) or
builds a hostile file, and checks the ScenarioError: one line, the file, the
field and the allowed values. The CLI cases run ``python -m sim check`` in a
real process, under a time and memory limit, so a regression that reads
``/dev/zero`` or recurses forever fails instead of hanging the suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.config import load_scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import MAX_BYTES
from tests.conftest import ROOT, SCENARIOS

BASELINE = (SCENARIOS / "baseline.yaml").read_text()


def edit(old: str, new: str) -> str:
    """The baseline with one piece of text replaced (which must be there)."""
    assert old in BASELINE, old
    return BASELINE.replace(old, new, 1)


INPATIENT_TIME = "coding_time: {dist: uniform, low: 15, high: 20}"
SURGICAL = "  surgical:\n    # ASSUMPTION"


def grid(n: int) -> str:
    return "[" + ", ".join(str(i) for i in range(1, n + 1)) + "]"


# (id, scenario text, fragments the message must hold: the field first, then what is allowed or found)
CASES = [
    # no silent coercion
    ("quoted probability", edit("probability: 0.15", 'probability: "0.5"'),
     ["chart_types.inpatient.query.probability", "valid number", "'0.5'", "without quotes"]),
    ("probability yes", edit("probability: 0.15", "probability: yes"),
     ["chart_types.inpatient.query.probability", "valid number", "yes, which YAML 1.1 reads as the boolean true"]),
    ("quoted count", edit("count: 1 ", 'count: "3" '), ["coders.count", "valid integer", "'3'"]),
    ("count true", edit("count: 1 ", "count: true "), ["coders.count", "valid integer", "got true"]),
    ("quoted days", edit("days: 1 ", 'days: "5" '), ["days", "valid integer", "'5'"]),
    ("variant sets a bool count", BASELINE + "variants:\n  x:\n    set: {coders.count: true}\n",
     ["variants.x: coders.count", "valid integer", "got true"]),
    ("sweep sets a quoted count", BASELINE + "sweeps:\n  s:\n    grid:\n      coders.count: ['2']\n",
     ["sweeps.s: coders.count", "valid integer"]),
    # YAML 1.1 surprises
    ("chart type named no", edit(SURGICAL, "  no:\n    # ASSUMPTION"),
     ["chart_types", "the name no was read as the boolean false", 'write it quoted: "no"']),
    ("team named on", edit("  policy: oldest_first", "  teams: {on: {count: 1}}\n  policy: oldest_first"),
     ["coders.teams", "the name on was read as the boolean true", 'write it quoted: "on"']),
    ("name yes as text", edit("name: baseline", "name: yes"),
     ["name", "valid string", 'write it quoted: "yes"']),
    ("unquoted 16:30", edit('end: "16:30"', "end: 16:30"),
     ["shift.end", "16:30 was read as the number 990 (YAML sexagesimal)", 'write it quoted: "16:30"']),
    ("octal count", edit("count: 1 ", "count: 010 "), ["coders.count", "010 was read as the octal number 8"]),
    # a date in YAML's date form that is no date: PyYAML's constructor raises ValueError, here the field is named
    ("February 30th", BASELINE + "start_date: 2024-02-30\n", ["start_date", "'2024-02-30' is not a calendar date"]),
    ("hour 25 in a timestamp", BASELINE + "start_date: 2024-07-01T25:00:00\n", ["start_date", "YYYY-MM-DD"]),
    ("variant sets February 31st", BASELINE + "variants:\n  x: {set: {start_date: 2024-02-31}}\n",
     ["variants.x: start_date", "'2024-02-31' is not a calendar date"]),
    ("weekday named funday", edit("  daily: {}", "  daily: {inpatient: {count: {dist: poisson, mean: 9}, "
                                                 "weekday_factor: {funday: 2}}}"),
     ["arrivals.daily.inpatient.weekday_factor", "the name 'funday' is not allowed", "'mon'"]),
    # clock times
    ("negative clock", edit('start: "08:00"', 'start: "-0:30"'), ["shift.start", "HH:MM between 00:00 and 24:00"]),
    ("single-digit hour", edit('start: "08:00"', 'start: "8:00"'), ["shift.start", "HH:MM"]),
    ("hour 25", edit('end: "16:30"', 'end: "25:00"'), ["shift.end", "between 00:00 and 24:00"]),
    # numbers that would overflow, divide by zero or make NaN
    ("no workdays", edit("workdays: [mon, tue, wed, thu, fri]", "workdays: []"), ["shift.workdays", "at least 1"]),
    ("workday twice", edit("workdays: [mon, tue, wed, thu, fri]", "workdays: [mon, mon]"),
     ["shift.workdays", "each weekday may appear once"]),
    ("lognormal sd 1e300", edit(INPATIENT_TIME, "coding_time: {dist: lognormal, mean: 15, sd: 1e300}"),
     ["chart_types.inpatient.coding_time.sd", "less than or equal to 1000000"]),
    ("lognormal spread", edit(INPATIENT_TIME, "coding_time: {dist: lognormal, mean: 0.001, sd: 1000}"),
     ["chart_types.inpatient.coding_time", "sd must be at most 100 times the mean"]),
    ("empirical weights overflow", edit(INPATIENT_TIME, "coding_time: {dist: empirical, values: [1, 2], weights: [1e308, 1e308]}"),
     ["chart_types.inpatient.coding_time.weights.0", "less than or equal to 1000000000"]),
    ("huge fixed time", edit(INPATIENT_TIME, "coding_time: {dist: fixed, value: 1e300, unit: days}"),
     ["chart_types.inpatient.coding_time.value", "less than or equal to 1000000"]),
    ("interruptions 500 a day", edit("per_day: 2 ", "per_day: 500 "),
     ["interruptions.per_day", "less than or equal to 100"]),
    ("coder speed 1e-300", edit("mid: {speed: 1.0,", "mid: {speed: 1e-300,"),
     ["levels.mid.speed", "greater than or equal to 0.01"]),
    ("team speed 0", edit("level: mid ", "speed: 0\n  level: mid "), ["coders.speed", "greater than or equal to 0.01"]),
    ("too many coder-days", edit("days: 1 ", "days: 3650 ").replace("count: 1 ", "count: 10000 ")
     .replace("at_login_per_coder: {dist: uniform_int, low: 25, high: 40}", "at_login_per_coder: null")
     .replace("mix: {inpatient: 0.45, outpatient: 0.45, surgical: 0.10}", "mix: {}"),
     ["coders.count", "coder working days per replication; at most 1,000,000"]),
    # what-ifs counted before they are built
    ("100x100x100 sweep", BASELINE + "sweeps:\n  big:\n    grid:\n"
     f"      coders.count: {grid(100)}\n      days: {grid(100)}\n      target_days: {grid(100)}\n",
     ["sweeps.big", "100 × 100 × 100 = 1,000,000 points", "at most 1,000"]),
    ("many sweeps together", BASELINE + "sweeps:\n" + "".join(
        f"  s{i}:\n    grid:\n      coders.count: {grid(30)}\n      target_days: {grid(20)}\n" for i in range(2)),
     ["sweeps", "1,200 variants and sweep points in all", "at most 1,000"]),
    ("sweep repeats a value", BASELINE + "sweeps:\n  s:\n    grid:\n      coders.count: [2, 2]\n",
     ["sweeps.s.grid", "repeats a value"]),
    # names are data
    ("variant named base", BASELINE + "variants:\n  base:\n    set: {coders.count: 2}\n",
     ["variants", "the name 'base' is taken"]),
    ("variant named Base", BASELINE + "variants:\n  Base:\n    set: {coders.count: 2}\n",
     ["variants", "the name 'Base' is taken"]),
    ("variant named like a sweep point", BASELINE + 'variants:\n  "s[coders.count=2]":\n    set: {coders.count: 3}\n'
     "sweeps:\n  s:\n    grid:\n      coders.count: [2, 3]\n",
     ["sweeps.s", "the point 's[coders.count=2]' has the name of a variant or another point"]),
    ("team named coders", edit("  policy: oldest_first", "  teams: {coders: {count: 1}}\n  policy: oldest_first"),
     ["coders.teams", "the name 'coders' is taken", "main team"]),
    ("chart types differing in case", edit(SURGICAL, "  Inpatient:\n    # ASSUMPTION"),
     ["chart_types", "'inpatient' and 'Inpatient' differ only in case"]),
    ("chart type with a dot", edit(SURGICAL, "  sur.gical:\n    # ASSUMPTION"),
     ["chart_types", "'sur.gical' is not allowed", "without control characters, surrounding spaces or dots"]),
    ("variant name with a newline", BASELINE + 'variants:\n  "a\\nb":\n    set: {coders.count: 2}\n',
     ["variants", "'a\\nb' is not allowed", "control characters"]),
    # a chart type nobody may code
    ("uncoded chart type", edit("skills: null", "skills: [inpatient, outpatient]"),
     ["coders: no coder can code chart type 'surgical'", "coders.allow_uncoded_types: true"]),
    # misspelled keys are named, with the nearest valid name
    ("misspelled nested key", edit(INPATIENT_TIME, "coding_tme: {dist: uniform, low: 15, high: 20}"),
     ["chart_types.inpatient.coding_tme", "unknown setting 'coding_tme'", "did you mean 'coding_time'?",
      "allowed here: coding_time, query"]),
    ("misspelled distribution key", edit(INPATIENT_TIME, "coding_time: {dist: uniform, low: 15, hgih: 20}"),
     ["chart_types.inpatient.coding_time.hgih", "did you mean 'high'?"]),
    ("misspelled variant path", BASELINE + "variants:\n  x:\n    set: {coders.cuont: 2}\n",
     ["variants.x: 'coders.cuont' does not exist", "did you mean 'count'?"]),
    # YAML structure
    ("duplicate key", BASELINE + "days: 2\n", ["days: given twice (lines 19 and", "each setting may appear once"]),
    ("duplicate nested key", edit("count: 1 ", "count: 1\n  count: 2 "), ["coders.count: given twice"]),
    ("deep nesting", BASELINE + "x: " + "[" * 600 + "]" * 600 + "\n", ["nested more than 50 levels deep"]),
    ("billion laughs", "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")),
     ["expands to more than 1,000,000 values"]),
    ("alias inside its anchor", "a: &a [*a]\n", ["a.0: the alias *a at line 1 is inside its own anchor"]),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_text_is_refused_with_one_line(text: str, fragments: list[str], write_scenario) -> None:
    path = write_scenario(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_exponent_numbers_are_numbers(write_scenario) -> None:
    """YAML 1.1 reads 1e3 as text; strict validation would then refuse it, so the loader reads it as a number."""
    scenario = load_scenario(write_scenario(edit("target_days: 3 ", "target_days: 3e0 ")))
    assert scenario.target_days == 3.0


def test_ints_still_pass_for_float_fields(write_scenario) -> None:
    scenario = load_scenario(write_scenario(edit("probability: 0.15", "probability: 1")))
    assert scenario.chart_types["inpatient"].query.probability == 1.0


def test_uncoded_chart_types_are_accepted_when_allowed(write_scenario) -> None:
    text = edit("skills: null", "skills: [inpatient, outpatient]\n  allow_uncoded_types: true")
    scenario = load_scenario(write_scenario(text))
    assert scenario.uncoded_types() == ["surgical"]
    assert load_scenario(SCENARIOS / "baseline.yaml").uncoded_types() == []


def test_merge_keys_are_not_duplicates(write_scenario) -> None:
    """A YAML merge key (<<) overriding a merged value is not a key given twice."""
    text = edit(INPATIENT_TIME, "coding_time: &t {dist: uniform, low: 15, high: 20}").replace(
        "coding_time: {dist: uniform, low: 5, high: 10}", "coding_time: {<<: *t, low: 5, high: 10}"
    )
    assert load_scenario(write_scenario(text)).chart_types["outpatient"].coding_time.high == 10


def test_bundled_scenarios_still_load() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        load_scenario(path)


# ---------------------------------------------------------------- files that are not scenario files


def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: as large as the limit allows, without writing it
    return path


def extending(target: str):
    def setup(tmp_path: Path) -> Path:
        if target == "pipe.yaml":
            fifo(tmp_path)
        path = tmp_path / "whatif.yaml"
        path.write_text(f"extends: {target}\n")
        return path

    return setup


FILES = [
    ("device", lambda tmp: Path("/dev/zero"), "/dev/zero: is a character device, not a regular file"),
    ("named pipe", fifo, "is a named pipe, not a regular file"),
    ("directory", lambda tmp: tmp, "is a directory, not a regular file"),
    ("over the size limit", big, f"a scenario must be at most {MAX_BYTES:,} bytes"),
    ("extends a device", extending("/dev/zero"), "whatif.yaml: extends: /dev/zero: is a character device"),
    ("extends a pipe", extending("pipe.yaml"), "whatif.yaml: extends: "),
    ("extends a directory", extending("."), "whatif.yaml: extends: "),
    ("extends a missing file", extending("nowhere.yaml"), "nowhere.yaml: cannot read the file"),
]


@pytest.mark.parametrize(("setup", "fragment"), [c[1:] for c in FILES], ids=[c[0] for c in FILES])
def test_files_that_are_not_scenarios_are_refused_unread(setup, fragment: str, tmp_path: Path) -> None:
    path = setup(tmp_path)
    if str(path).startswith("/dev/") and not path.exists():
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message and fragment in message, message
    assert "regular file" in message or "bytes" in message or "cannot read" in message, message


# ---------------------------------------------------------------- the real command


def _limited() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: reading /dev/zero would hit it, not the machine


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "check", str(path)], cwd=ROOT, capture_output=True, text=True,
        timeout=20, preexec_fn=_limited,
    )


CLI = [
    ("device", lambda tmp: Path("/dev/zero"), "/dev/zero: is a character device"),
    ("extends a device", extending("/dev/zero"), "extends: /dev/zero: is a character device"),
    ("deep nesting", lambda tmp: _write(tmp, "x: " + "[" * 5000 + "]" * 5000 + "\n"), "nested more than 50 levels"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
@pytest.mark.parametrize(("setup", "fragment"), [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_check_refuses_with_one_line_and_exit_2(setup, fragment: str, tmp_path: Path) -> None:
    path = setup(tmp_path)
    proc = check(path)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2, output
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
    assert fragment in output, output


def test_check_prints_names_with_brackets_verbatim(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    path = _write(tmp_path, BASELINE + 'variants:\n  "[/]":\n    set: {coders.count: true}\n')
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and "variants.[/]: coders.count" in result.output, result.output
