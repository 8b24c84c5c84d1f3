"""What chartsim writes stays inert whatever the names say, and a damaged run folder is refused in one line.

Names come from scenario files and run folders, which may come from anyone: a
variant called ``=HYPERLINK(…)`` must reach the workbook as text, a name
holding terminal escapes must reach the terminal escaped, and a hand-edited
``manifest.json`` must give a one-line refusal, not a traceback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

import sim
from sim.cli.app import app
from sim.cli.console import Col, Fit, SafeConsole, markup_safe, terminal_safe
from sim.report import load_run, write_workbook
from sim.runs.write import write_run
from sim.scenario.config import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
FORMULA = '=HYPERLINK("http://evil.example","click")'
NAMES = {"scenario": "=1+1", "variant": FORMULA, "team": "=cmd|' /C calc'!A0", "chart type": "=SUM(1)"}
ESCAPES = "red\x1b[31m title\x1b]0;pwned\x07 csi\x9b2J bidi\u202eoof"
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e")


def _scenario(name: str = NAMES["scenario"], kind: str = NAMES["chart type"]) -> dict:
    """One day of a tiny department with every name a spreadsheet could mistake for a formula."""
    return {
        "name": name, "days": 1,
        "chart_types": {kind: {"coding_time": {"dist": "fixed", "value": 30}}},
        "arrivals": {"mix": {kind: 1.0}, "at_login_per_coder": {"dist": "fixed", "value": 5}},
        "coders": {"count": 1, "teams": {NAMES["team"]: {"count": 1}}},
        "variants": {NAMES["variant"]: {"set": {"coders.count": 2}}, "#N/A": {"set": {"coders.count": 3}},
                     "@cmd": {"set": {"coders.count": 3}}},
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "run"
    write_run(sim.run(parse_scenario(_scenario()), reps=2, seed=3), out)
    return out


# ------------------------------------------------------------------ the workbook


def test_workbook_writes_formula_like_names_as_text(folder: Path, tmp_path: Path) -> None:
    path = write_workbook(load_run(folder), tmp_path / "results.xlsx")
    book = load_workbook(path)
    texts: set[str] = set()
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    texts.add(cell.value)
                    if cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate)  # stays text when edited
    assert {NAMES["scenario"], NAMES["variant"], NAMES["team"], "#N/A", "@cmd"} <= texts
    assert any(NAMES["chart type"] in t for t in texts)  # in the per-type metric names
    assert book["Coder days"]["A2"].value == "base"


def test_workbook_holds_control_characters_as_escapes(folder: Path, tmp_path: Path) -> None:
    """A hand-edited table with ESC in a name still gives a workbook (openpyxl refuses the raw character)."""
    run = load_run(folder)
    run.summary["variant"] = "evil\x1b[31m"
    book = load_workbook(write_workbook(run, tmp_path / "results.xlsx"))
    assert book["Summary"]["A2"].value == "evil\\x1b[31m"


# ------------------------------------------------------------------ the terminal


def test_terminal_safe_escapes_every_control_character() -> None:
    shown = terminal_safe(ESCAPES + "\r\n\t\x00\x7f\u2028")
    assert not any(c in shown for c in CONTROL + ("\r", "\n", "\t", "\x00", "\x7f", "\u2028"))
    assert shown.startswith("red\\x1b[31m title\\x1b]0;pwned\\x07 csi\\x9b2J bidi\\u202eoof")
    assert terminal_safe("a\nb\tc\x1b", lines=True) == "a\nb\tc\\x1b"
    assert terminal_safe("coders: 3 — ok") == "coders: 3 — ok"
    assert markup_safe("x[/]y\x07") == "x\\[/]y\\x07"


def _printed(*objects: object) -> str:
    out = io.StringIO()
    SafeConsole(file=out, width=200, force_terminal=True, color_system=None).print(*objects)
    return out.getvalue()


def test_console_tables_and_messages_show_names_escaped() -> None:
    table = Fit(f"{ESCAPES} — 2 replications", [Col("metric", name=True), Col("mean")], [[ESCAPES, "1.0"]],
                notes=[f"note {ESCAPES}"])
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=True, color_system=None).print(table)  # any console: the Fit escapes
    text = out.getvalue()
    assert not any(c in text for c in CONTROL)
    assert text.count("red\\x1b[31m title") == 3
    message = _printed(f"[bold]wrote[/] {ESCAPES}")
    assert not any(c in message for c in CONTROL) and "wrote" in message
    assert "x[/]y" in _printed("name: x[/]y")  # a name that breaks the markup is shown, not raised


def test_check_and_run_print_names_escaped(tmp_path: Path) -> None:
    """The scenario name's own rule lets C1 and bidi characters through; the terminal never gets them raw."""
    path = tmp_path / "scenario.yaml"
    name = "evil\x9b2J\u202emode"
    raw = _scenario(name=name, kind="chart")
    del raw["variants"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sim", "check", str(path)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert not any(c in done.stdout + done.stderr for c in CONTROL), done.stdout
    assert "evil\\x9b2J\\u202emode" in done.stdout
    result = CliRunner().invoke(app, ["run", str(path), "--reps", "2", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in CONTROL)
    assert "evil\\x9b2J\\u202emode — 2 replications" in result.output


# ------------------------------------------------------------------ a damaged run folder


def _manifest(**changes: object) -> str:
    base = {"scenario": "x", "seed": 1, "replications": 2, "warmup_days": 0, "variants": []}
    return json.dumps({k: v for k, v in {**base, **changes}.items() if v is not None})


DAMAGE = {  # file → (new content, words the refusal holds)
    "manifest not JSON": ("manifest.json", "{", "not valid JSON"),
    "manifest a list": ("manifest.json", "[]", "mapping"),
    "manifest empty object": ("manifest.json", "{}", "'scenario' is missing"),
    "manifest seed missing": ("manifest.json", _manifest(seed=None), "'seed' is missing"),
    "manifest versions a number": ("manifest.json", _manifest(versions=3), "'versions' should be a mapping"),
    "manifest warmup text": ("manifest.json", _manifest(warmup_days="x"), "'warmup_days' should be an integer"),
    "manifest seed true": ("manifest.json", _manifest(seed=True), "'seed' should be an integer"),
    "manifest no replications": ("manifest.json", _manifest(replications=0), "at least 1"),
    "scenario not YAML": ("scenario.yaml", "a: [", "not valid YAML"),
    "scenario a list": ("scenario.yaml", "- a\n", "mapping"),
    "scenario chart types a number": ("scenario.yaml", "chart_types: 3\n", "chart_types"),
    "scenario not UTF-8": ("scenario.yaml", b"\xff\xfe", "not a text file"),
    "summary column missing": ("summary.csv", "variant,metric\nbase,x\n", "missing column"),
    "summary header only": ("summary.csv", "variant,metric,n,mean,ci_low,ci_high\n", "no rows"),
    "summary empty": ("summary.csv", "", "cannot read"),
    "coder days text for a number": ("coder_days.csv", "variant,replication,day,coder,charts_coded\nbase,0,0,0,abc\n",
                                     "'charts_coded' holds 'abc'"),
}


def _damaged(folder: Path, tmp_path: Path, file: str, content: str | bytes) -> Path:
    copy = tmp_path / "damaged"
    shutil.copytree(folder, copy)
    target = copy / file
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return copy


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_report_refuses_a_damaged_folder_in_one_line(folder: Path, tmp_path: Path, damage: str) -> None:
    file, content, words = DAMAGE[damage]
    copy = _damaged(folder, tmp_path, file, content)
    result = CliRunner().invoke(app, ["report", str(copy)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:") and f"{copy / file}:" in lines[0] and words in lines[0]
    assert not (copy / "report.html").exists() and not (copy / "results.xlsx").exists()


def test_report_command_refuses_without_a_traceback(folder: Path, tmp_path: Path) -> None:
    """The command itself (the case of the issue: a manifest of the wrong shape gave an AttributeError)."""
    file, content, words = DAMAGE["manifest versions a number"]
    copy = _damaged(folder, tmp_path, file, content)
    done = subprocess.run([sys.executable, "-m", "sim", "report", str(copy)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(copy / file) in lines[0] and words in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
