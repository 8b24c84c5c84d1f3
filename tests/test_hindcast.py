"""Hindcast on the example log: start the fitted model from a past Monday and check the log's days against its bands."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sim.fit.department import fit_department
from sim.fit.hindcast import actual_by_day, hindcast, state_at
from sim.fit.log import read_log
from sim.fit.write import scenario_text
from sim.scenario.config import parse_scenario
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fitted():
    fit = fit_department(read_log(ROOT / "examples" / "department_log.csv"))
    return fit, parse_scenario(yaml.safe_load(scenario_text(fit)))


def test_the_state_read_from_the_log_is_the_logs_backlog_at_that_moment(fitted):
    fit, _ = fitted
    when = pd.Timestamp("2026-02-02 07:00")
    rows = state_at(fit, when)
    charts = fit.charts
    waiting = ((charts["discharged_at"] <= when) & (charts["coded_at"].isna() | (charts["coded_at"] > when))).sum()
    assert len(rows) == waiting > 50
    held = [r for r in rows if "query_sent_at" in r and "query_answered_at" not in r]
    assert held and all(pd.Timestamp(r["query_sent_at"]) <= when for r in held)
    # the log's backlog at the end of the day before is the state less the day's 00:00 discharges
    assert actual_by_day(fit, when, 3)["backlog"].between(0, 2 * len(rows)).all()


def test_the_logs_days_fall_inside_the_projections_bands_about_as_often_as_they_should(fitted):
    """Three weekly starts, 14 days each, backlog and charts coded: a calibrated forecast puts 90 % of the
    day-values inside its 90 % band and 50 % inside its 50 % band. The values of one log are correlated day
    to day, so the shares wander; the floors below are where a miss stops being chance (measured: 92 % and
    56 % with these starts and seed)."""
    fit, scenario = fitted
    tables = [hindcast(fit, scenario, pd.Timestamp(when), days=14, reps=30, seed=1).table
              for when in ("2026-01-19 07:00", "2026-01-26 07:00", "2026-02-02 07:00")]
    pooled = pd.concat(tables)
    assert len(pooled) == 3 * 24  # weekend days of charts coded (0 in every replication) are left out
    assert pooled["inside_90"].mean() >= 0.8
    assert 0.3 <= pooled["inside_50"].mean() <= 0.8


def test_hindcast_refuses_a_moment_too_late_in_the_log(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sim", "hindcast", str(ROOT / "examples" / "department_log.csv"),
                           "--at", "2026-02-25 07:00"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "leaves fewer than --days 14 days of the log" in done.stderr


def hindcast_via_cli(*args: object):
    from typer.testing import CliRunner

    from sim.cli.app import app

    return CliRunner().invoke(app, ["hindcast", *map(str, args)])


EXAMPLE_LOG = ROOT / "examples" / "department_log.csv"


def _refused(result, *words: str) -> str:
    line = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert all(w in line for w in words), line
    return line


def test_state_out_in_a_missing_folder_is_refused_before_the_log_is_read(tmp_path):
    """Checked first: the log named here does not exist, so a later check would blame the log instead."""
    target = tmp_path / "nodir" / "open.csv"
    result = hindcast_via_cli(tmp_path / "missing.csv", "--at", "2026-02-02 07:00", "--days", 3, "--reps", 3,
                              "--state-out", target)
    _refused(result, "--state-out", str(target), f"the folder {target.parent} does not exist")
    assert not target.parent.exists()


def test_state_out_is_written_where_its_folder_exists(tmp_path):
    target = tmp_path / "open.csv"
    result = hindcast_via_cli(EXAMPLE_LOG, "--at", "2026-02-02 07:00", "--days", 3, "--reps", 3, "--state-out", target)
    assert result.exit_code == 0, result.output
    fit = fit_department(read_log(EXAMPLE_LOG))
    assert len(pd.read_csv(target)) == len(state_at(fit, pd.Timestamp("2026-02-02 07:00")))
    again = hindcast_via_cli(EXAMPLE_LOG, "--at", "2026-02-02 07:00", "--days", 3, "--reps", 3, "--state-out", target)
    _refused(again, "--state-out", "exists")


def test_hindcast_has_the_log_reading_options_of_fit():
    import typer.main

    from sim.cli.app import app

    commands = typer.main.get_command(app).commands
    helps = {name: {p.opts[0]: p.help for p in commands[name].params} for name in ("fit", "hindcast")}
    for option in ("--columns", "--timezone", "--dayfirst", "--date-format", "--min-charts"):
        assert helps["hindcast"][option] == helps["fit"][option], option


def test_a_log_with_month_first_dates_is_hindcast_with_date_format(tmp_path):
    """Refused as fit refuses it, pointing at --date-format; with it, the same hindcast as from the ISO log."""
    log = pd.read_csv(EXAMPLE_LOG, dtype=str, keep_default_na=False)
    for col in ("started_at", "ended_at", "discharged_at", "query_sent_at", "query_answered_at"):
        log[col] = pd.to_datetime(log[col].replace("", None)).dt.strftime("%m/%d/%Y %H:%M:%S").fillna("")
    path = tmp_path / "us.csv"
    log.to_csv(path, index=False)
    args = ("--at", "2026-01-06 07:00", "--days", 3, "--reps", 3)
    _refused(hindcast_via_cli(path, *args), str(path), "column started_at", "--date-format")
    read = hindcast_via_cli(path, *args, "--date-format", "%m/%d/%Y %H:%M:%S")
    assert read.exit_code == 0, read.output
    assert read.output == hindcast_via_cli(EXAMPLE_LOG, *args).output


def test_a_log_without_discharged_at_is_refused(tmp_path):
    path = tmp_path / "no_discharge.csv"
    pd.read_csv(EXAMPLE_LOG, dtype=str, keep_default_na=False).drop(columns="discharged_at").to_csv(path, index=False)
    line = _refused(hindcast_via_cli(path, "--at", "2026-02-02 07:00", "--days", 3, "--reps", 3),
                    str(path), "discharged_at", "a hindcast needs it")
    assert "nan" not in line


def test_days_every_replication_agrees_on_are_refused_not_shown_as_nan():
    """From a Saturday morning, one day: nothing arrives or is coded, so nothing is left to compare."""
    line = _refused(hindcast_via_cli(EXAMPLE_LOG, "--at", "2026-01-10 07:00", "--days", 1, "--reps", 3),
                    "no day from 2026-01-10 07:00 to compare")
    assert "nan" not in line


def test_a_moment_before_the_log_is_refused_naming_its_first_day():
    first = read_log(EXAMPLE_LOG).first_day.isoformat()
    line = _refused(hindcast_via_cli(EXAMPLE_LOG, "--at", "2025-12-01 07:00", "--days", 3, "--reps", 3),
                    f"is before the log's first day, {first}")
    assert "leaves fewer" not in line


def test_the_printed_band_agrees_with_the_inside_column():
    """A whole count is inside the band as printed exactly when the table says yes (here a log of 31 beside a
    band ending at 30.6 was printed as [26–31] NO)."""
    import re

    result = hindcast_via_cli(EXAMPLE_LOG, "--at", "2026-01-06 07:00", "--days", 3, "--reps", 5)
    assert result.exit_code == 0, result.output
    rows = re.findall(r"^\s+\S+\s+(\d+)\s+[\d.]+ \[([\d.]+)–([\d.]+)\]\s+(yes|NO)$", result.output, re.M)
    assert len(rows) == 6, result.output
    for actual, low, high, inside in rows:
        assert (float(low) <= int(actual) <= float(high)) == (inside == "yes"), (actual, low, high, inside)


def test_the_band_rounded_inward_keeps_every_whole_count_on_its_side():
    import numpy as np

    from sim.cli.hindcast import _band

    rng = np.random.default_rng(3)
    for decimals in range(4):  # quantiles of whole counts: whole, halves, fifths, any fraction
        for low, high in np.sort(rng.uniform(0, 40, size=(500, 2)).round(decimals), axis=1):
            shown_low, shown_high = map(float, _band(low, high).strip("[]").split("–"))
            for count in range(42):
                assert (low <= count <= high) == (shown_low <= count <= shown_high), (low, high, count)
