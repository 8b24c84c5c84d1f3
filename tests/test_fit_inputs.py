"""chartsim fit reads a log's names as written, writes names YAML reads back, and is not shifted by trailing commas."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sim.fit.log import read_log
from sim.fit.write import _key
from sim.scenario.config import load_scenario
from tests.test_fit import EXAMPLE_LOG, _example, fit_via_cli


def test_names_pandas_would_read_as_missing_are_kept_as_written(tmp_path):
    """A coder called NA, a chart type called null: names, not blanks; empty cells stay missing."""
    log = _example()
    log["coder"] = log["coder"].replace("C00", "NA")
    log["chart_type"] = log["chart_type"].replace("outpatient", "null")
    log["query_answered_at"] = log["query_answered_at"].where(log.index != 3, "N/A")  # no time, as a blank
    path = tmp_path / "names.csv"
    log.to_csv(path, index=False)
    sessions = read_log(path).sessions
    assert (sessions["coder"] == "NA").sum() == (log["coder"] == "NA").sum() > 0
    assert (sessions["chart_type"] == "null").sum() == (log["chart_type"] == "null").sum() > 0
    assert sessions["query_sent_at"].isna().sum() == (log["query_sent_at"] == "").sum() > 0
    assert sessions["query_answered_at"].isna().sum() == log["query_answered_at"].isin(["", "N/A"]).sum()
    out = tmp_path / "out.yaml"
    result = fit_via_cli(path, "--out", out, "--reps", "0")
    assert result.exit_code == 0, result.output
    assert "null" in load_scenario(out).chart_types


@pytest.mark.parametrize("name", ["no", "on", "yes", "off", "true", "False", "null", "NULL", "Yes", "mid", "a b",
                                  "a: b", "#7", "12:30", "1e3", "0x1F", "~", "[x", "-", "é"])
def test_a_written_name_reads_back_as_the_same_string(name):
    assert yaml.safe_load(f"{_key(name)}: 1") == {name: 1}
    assert yaml.safe_load(f"level: {_key(name)}") == {"level": name}


def test_levels_and_types_named_like_yaml_booleans_give_a_valid_scenario(tmp_path):
    """coder_level mid → no and chart type inpatient → on: the scenario is written and loads with those names."""
    log = _example()
    log["coder_level"] = log["coder_level"].replace("mid", "no")
    log["chart_type"] = log["chart_type"].replace("inpatient", "on")
    path, out = tmp_path / "bools.csv", tmp_path / "out.yaml"
    log.to_csv(path, index=False)
    result = fit_via_cli(path, "--out", out, "--reps", "0")
    assert result.exit_code == 0, result.output
    scenario = load_scenario(out)
    assert "on" in scenario.chart_types and "no" in scenario.levels
    assert set(log["chart_type"]) == set(scenario.chart_types)
    assert set(log["coder_level"]) == set(scenario.levels)


def test_a_trailing_comma_on_every_row_reads_as_without_it(tmp_path):
    lines = EXAMPLE_LOG.read_text().splitlines()
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join([lines[0], *(line + "," for line in lines[1:])]) + "\n")
    pd.testing.assert_frame_equal(read_log(path).sessions, read_log(EXAMPLE_LOG).sessions)


@pytest.mark.parametrize("extra", [",x", "x"], ids=["one row", "after a trailing comma on every row"])
def test_a_value_past_the_last_column_is_refused_in_one_line(tmp_path, extra):
    lines = EXAMPLE_LOG.read_text().splitlines()
    rows = lines[1:] if extra.startswith(",") else [line + "," for line in lines[1:]]
    rows[4] += extra
    path, out = tmp_path / "extra.csv", tmp_path / "out.yaml"
    path.write_text("\n".join([lines[0], *rows]) + "\n")
    result = fit_via_cli(path, "--out", out, "--reps", "0")
    line = " ".join(result.output.split())
    assert result.exit_code == 2 and str(path) in line and "Traceback" not in result.output, result.output
    assert ("Expected 9 fields in line 6, saw 10" in line if extra.startswith(",")
            else "a value past the header's last column" in line)
    assert not out.exists()
