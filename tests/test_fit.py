"""chartsim fit: a log made from a known scenario gives that scenario back; bad logs are refused in one line."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from pydantic import TypeAdapter
from scipy import stats
from typer.testing import CliRunner

import sim
from sim.fit.department import fit_department
from sim.fit.distributions import choose
from sim.fit.log import read_log
from sim.scenario.config import load_scenario
from sim.scenario.distributions import TimeDistribution

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_LOG = EXAMPLES / "department_log.csv"
sys.path.insert(0, str(EXAMPLES))
import generate_log  # noqa: E402

# Recovery checks are two-sided intervals from theory at 99.9 % each: with about
# ten checks, the chance that a correct fit fails any of them is under 1 %.
LEVEL = 0.999
Z = stats.norm.ppf(0.5 + LEVEL / 2)


def cli():
    from sim.cli.fit import fit_cmd

    app = typer.Typer(add_completion=False)
    app.command("fit")(fit_cmd)
    app.callback()(lambda: None)  # keep "fit" as a subcommand, as in chartsim
    return app


def fit_via_cli(*args: str):
    return CliRunner().invoke(cli(), ["fit", *map(str, args)])


@pytest.fixture(scope="module")
def known():
    """The example scenario with one level of coders (so speeds are 1 by construction), its log and its fit."""
    base = load_scenario(EXAMPLES / "department_scenario.yaml")
    scenario = base.with_changes({"coders.count": 7, "coders.teams": {}}, "test")
    log = generate_log.make_log(scenario, seed=11, lead_in=7)
    return scenario, log


@pytest.fixture(scope="module")
def fitted(known, tmp_path_factory):
    _, log = known
    path = tmp_path_factory.mktemp("log") / "log.csv"
    log.to_csv(path, index=False)
    return fit_department(read_log(path), confidence=LEVEL)


def _sd(dist) -> float:
    if dist.dist == "lognormal":
        return dist.sd
    a, c, b = dist.low, dist.mode, dist.high
    return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)


def test_coding_time_means_are_recovered(known, fitted):
    """Each type's fitted mean coding time lies within z·σ/√n of the generating mean."""
    scenario, _ = known
    for kind, chart_type in scenario.chart_types.items():
        true = chart_type.coding_time
        choice = fitted.coding[kind]
        mean = TypeAdapter(TimeDistribution).validate_python(choice.dist).mean_minutes()
        assert abs(mean - true.mean_minutes()) <= Z * _sd(true) / math.sqrt(choice.n), (kind, mean, choice.n)


def test_query_rates_lie_in_their_wilson_intervals(known, fitted):
    scenario, _ = known
    for kind, chart_type in scenario.chart_types.items():
        rate = fitted.queries[kind]
        assert rate.low <= chart_type.query.probability <= rate.high, (kind, rate)


def test_daily_volume_means_are_recovered(known, fitted):
    """The Monday–Friday mean of a Poisson count over n weekdays has standard error √(mean/n)."""
    scenario, _ = known
    win = fitted.window
    weekdays = sum((win.day0 + pd.Timedelta(days=d)).weekday() < 5 for d in range(win.complete_days))
    for kind, volume in scenario.arrivals.daily.items():
        true = volume.count.mean
        got = fitted.volumes[kind]
        assert abs(got.mean - true) <= Z * math.sqrt(true / weekdays), (kind, got.mean)
        assert got.factors is not None and got.factors["sat"] < 0.9  # quieter weekends are seen


def test_answer_delay_and_working_day(known, fitted):
    scenario, _ = known
    true = scenario.queries.answer_delay
    choice = fitted.answer
    assert choice is not None and choice.dist["unit"] == "hours"
    assert abs(choice.best.mean - true.mean) <= Z * true.sd / math.sqrt(choice.n)
    assert (fitted.day.start, fitted.day.end) == ("08:00", "16:30")
    assert fitted.day.non_coding_minutes == pytest.approx(60, abs=5)  # the three breaks
    assert [lf.count for lf in fitted.levels] == [7]


@pytest.mark.parametrize(("sample", "family"), [
    (np.random.default_rng(3).lognormal(2.5, 0.6, 4000), "lognormal"),
    (np.random.default_rng(4).gamma(2.5, 6.0, 4000), "gamma"),
    (np.random.default_rng(5).weibull(1.8, 4000) * 20.0, "weibull"),
])
def test_the_right_family_wins(sample, family):
    choice = choose(sample)
    assert choice.best.family == family
    assert choice.dist["dist"] == family and choice.note == ""  # the winner is written as itself
    written = TypeAdapter(TimeDistribution).validate_python(choice.dist)
    assert written.mean_minutes() == pytest.approx(choice.best.mean, rel=1e-3)


def test_a_winner_the_schema_refuses_is_written_as_percentiles():
    """A lognormal wider than the schema allows (sd over 100 times the mean) becomes the sample's percentiles."""
    choice = choose(np.random.default_rng(6).lognormal(0.0, 3.5, 4000))
    assert choice.best.family == "lognormal" and choice.best.sd > 100 * choice.best.mean
    assert choice.dist["dist"] == "empirical" and "schema refuses this lognormal (sd must be at most" in choice.note
    TypeAdapter(TimeDistribution).validate_python(choice.dist)


def test_fitted_scenario_loads_and_runs(tmp_path):
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    result = fit_via_cli(EXAMPLE_LOG, "--out", out, "--report", report, "--reps", "2")
    assert result.exit_code == 0, result.output
    assert "charts per coder-day" in result.output
    scenario = load_scenario(out)
    assert sim.run(scenario, reps=2, seed=1).replications["charts_per_coder_day"].gt(0).all()
    values = [line for line in out.read_text().splitlines()
              if ": " in line and not line.startswith(("#", " ", "name", "description", "sources"))
              and "# " not in line.split(": ", 1)[0]]
    assert all("# FITTED" in v or "# ASSUMPTION" in v for v in values if not v.rstrip().endswith(":")), values
    text = out.read_text()
    assert "2026-01-05..2026-02-27" in text and "n=" in text and "AIC" in text and "KS" in text
    page = report.read_text()
    assert "data:image/png;base64," in page and "Back-test" in page and "weibull" in page


def _example() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE_LOG, dtype=str, keep_default_na=False)


def _rare_type(log: pd.DataFrame) -> pd.DataFrame:
    extra = [{**log.iloc[0].to_dict(), "chart_id": f"R{i}", "chart_type": "rare", "coder": "Z9",
              "started_at": f"2026-01-06 0{i}:00:00", "ended_at": f"2026-01-06 0{i}:20:00"} for i in range(3)]
    return pd.concat([log, pd.DataFrame(extra)], ignore_index=True)


def _mixed_zones(log: pd.DataFrame) -> pd.DataFrame:
    log = log.copy()
    log.loc[:10, "started_at"] = log.loc[:10, "started_at"].str.replace(" ", "T") + "+01:00"
    return log


def _end_before_start(log: pd.DataFrame) -> pd.DataFrame:
    log = log.copy()
    log.loc[3, ["started_at", "ended_at"]] = log.loc[3, ["ended_at", "started_at"]].to_numpy()
    return log


def _overlap(log: pd.DataFrame) -> pd.DataFrame:
    row = log.iloc[[5]].copy()
    row["chart_id"] = "X1"
    return pd.concat([log, row], ignore_index=True)


BAD_LOGS = [
    ("missing column", lambda log: log.drop(columns="coder"), [], "missing column coder"),
    ("misnamed column", lambda log: log.rename(columns={"coder": "User"}), ["--columns", "coder=Usr"],
     "--columns names 'Usr', not in the file"),
    ("end before start", _end_before_start, [], "1 sessions end before they start: line 5"),
    ("overlap", _overlap, [], "sessions overlap an earlier session of the same coder"),
    ("duplicates", lambda log: pd.concat([log, log.iloc[[7, 8]]], ignore_index=True), [], "2 duplicate rows"),
    ("unparseable", lambda log: log.assign(ended_at=log["ended_at"].where(log.index != 2, "yesterday")), [],
     "1 unparseable ended_at values"),
    ("mixed zones", _mixed_zones, [], "mixed time zones: 11 timestamps carry a zone and 26706 do not; give every timestamp a zone, or none; started_at without a zone: line 13"),
    ("too few charts", _rare_type, [], "too few charts to fit a coding time for rare (3 charts)"),
    ("one day", lambda log: log[log["ended_at"].str.startswith("2026-01-05")], [], "the log covers one day"),
    ("empty file", lambda log: log.iloc[0:0], [], "no sessions"),
]


@pytest.mark.parametrize(("make", "options", "message"), [case[1:] for case in BAD_LOGS],
                         ids=[case[0] for case in BAD_LOGS])
def test_bad_logs_are_refused_in_one_line(tmp_path, make, options, message):
    path = tmp_path / "bad.csv"
    make(_example()).to_csv(path, index=False)
    result = fit_via_cli(path, "--out", tmp_path / "out.yaml", "--reps", "0", *options)
    assert result.exit_code == 2, result.output
    assert message in result.output and str(path) in result.output.replace("\n", "")
    assert "Traceback" not in result.output and not (tmp_path / "out.yaml").exists()


def test_long_sessions_are_left_out_and_zones_converted(tmp_path):
    """A 10-hour session is dropped and counted; timestamps with a zone are converted to one zone."""
    log = _example()
    long = {**log.iloc[0].to_dict(), "chart_id": "L1", "coder": "Z8",
            "started_at": "2026-01-07 07:00:00", "ended_at": "2026-01-07 17:00:00"}
    log = pd.concat([log, pd.DataFrame([long])], ignore_index=True)
    for col in ("started_at", "ended_at", "discharged_at", "query_sent_at", "query_answered_at"):
        stamps = pd.to_datetime(log[col].replace("", None))
        log[col] = (stamps - pd.Timedelta(hours=1)).dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    path = tmp_path / "zoned.csv"
    log.rename(columns={"coder": "User"}).to_csv(path, index=False)
    checked = read_log(path, {"User": "coder"}, timezone="Europe/Paris")  # UTC+1 in winter
    assert checked.long_sessions == 1 and checked.zone == "converted to Europe/Paris"
    assert checked.sessions["started_at"].min() == pd.Timestamp("2026-01-05 08:00:00")


def test_parquet_with_a_zone_is_read_in_that_zone(tmp_path):
    log = pd.read_csv(EXAMPLE_LOG)
    for col in ("started_at", "ended_at", "discharged_at", "query_sent_at", "query_answered_at"):
        log[col] = pd.to_datetime(log[col]).dt.tz_localize("America/Chicago")
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    checked = read_log(path)
    assert checked.zone == "converted to America/Chicago, the log's own zone"
    assert checked.sessions["started_at"].min() == pd.Timestamp("2026-01-05 08:00:00")
