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
from sim.fit.log import DateForm, read_log
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
    assert "# Speeds: experienced coders code " in text and "faster than mid-level (95 % CI " in text
    assert "faster than mid-level (95 % CI " in page and "random coder effect" in page


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


# A department whose levels code different chart types (entry coders outpatient only, experienced ones inpatient
# and surgical) at known speeds relative to mid, loaded near capacity so that the mix of coders matters.
MIX_DEPARTMENT = """
name: mix_department
days: 35
start_weekday: mon
chart_types:
  inpatient: {coding_time: {dist: lognormal, mean: 22, sd: 9}, query: {probability: 0.15}}
  outpatient: {coding_time: {dist: lognormal, mean: 7.5, sd: 3}, query: {probability: 0.03}}
  surgical: {coding_time: {dist: triangular, low: 18, mode: 24, high: 36}, query: {probability: 0.10}}
arrivals:
  mix: {inpatient: 0.3, outpatient: 0.6, surgical: 0.1}
  backlog: {dist: fixed, value: 120}
  daily:
    inpatient: {count: {dist: poisson, mean: 40}}
    outpatient: {count: {dist: poisson, mean: 110}}
    surgical: {count: {dist: poisson, mean: 9.5}}
levels:
  entry: {speed: 0.8, salary: 36000}
  mid: {speed: 1.0, salary: 48780}
  experienced: {speed: 1.25, salary: 64000}
coders:
  count: 2
  level: mid
  teams:
    experienced: {count: 2, level: experienced, skills: [inpatient, surgical]}
    entry: {count: 2, level: entry, skills: [outpatient]}
shift: {start: "08:00", end: "16:30"}
breaks:
  - {at: "10:00", minutes: 15, name: morning break}
  - {at: "12:00", minutes: 30, name: lunch}
  - {at: "14:30", minutes: 15, name: afternoon break}
interruptions: {per_day: 0}
queries:
  answer_delay: {dist: lognormal, mean: 48, sd: 36, unit: hours}
"""


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    """The mix department, a four-week log of it (after a week's lead-in), the fit and the fitted scenario."""
    import yaml

    from sim.fit.write import scenario_text
    from sim.scenario.config import parse_scenario

    true = parse_scenario(yaml.safe_load(MIX_DEPARTMENT), "mix_department")
    path = tmp_path_factory.mktemp("mix") / "log.csv"
    generate_log.make_log(true, seed=5, lead_in=7).to_csv(path, index=False)
    fit = fit_department(read_log(path), confidence=LEVEL)
    return true, fit, parse_scenario(yaml.safe_load(scenario_text(fit)), "fitted")


def test_level_speeds_are_recovered_when_levels_code_different_types(mix):
    """Each level's speed relative to mid lies in its 99.9 % interval, though entry and experienced share no type."""
    true, fit, fitted_scenario = mix
    assert fit.speed_fit.reference == "mid"
    for lf in fit.levels:
        assert lf.pace.low <= true.levels[lf.level].speed <= lf.pace.high, (lf.level, lf.pace)
    assert fitted_scenario.levels["mid"].speed == 1.0
    assert {lf.level: lf.skills for lf in fit.levels} == {"mid": None, "entry": ["outpatient"],
                                                          "experienced": ["inpatient", "surgical"]}
    text = " ".join(lf.pace.phrase() for lf in fit.levels)
    assert "experienced coders code" in text and "faster than mid-level (99.9 % CI" in text


def _world_log(path: Path, seed: int = 3) -> dict[str, float]:
    """A log made without chartsim's model, the way a department differs from it: every coder has a speed of their
    own around their level's (between-coder sd 0.12 on the log scale), entry coders code only outpatient charts and
    experienced ones only inpatient and surgical, and coding times are lognormal with a type-specific spread. Each
    coder works 08:00–16:00, chart after chart, for 20 weekdays. Returns each level's true (population) speed."""
    rng = np.random.default_rng(seed)
    level_speed = {"entry": 0.8, "mid": 1.0, "experienced": 1.25}
    skills = {"entry": ["outpatient"], "mid": ["inpatient", "outpatient", "surgical"],
              "experienced": ["inpatient", "surgical"]}
    minutes = {"inpatient": (18.0, 0.35), "outpatient": (7.0, 0.30), "surgical": (25.0, 0.40)}  # median, log-sd
    rows, n = [], 0
    days = [d for d in pd.date_range("2026-03-02", periods=28, freq="D") if d.weekday() < 5]
    for level, speed in level_speed.items():
        for c in range(4):
            coder = f"{level[:3].upper()}{c}"
            own = speed * math.exp(rng.normal(0.0, 0.12))
            for day in days:
                clock = day + pd.Timedelta(hours=8)
                while clock < day + pd.Timedelta(hours=16):
                    kind = skills[level][rng.integers(len(skills[level]))]
                    median, sd = minutes[kind]
                    took = pd.Timedelta(minutes=median * math.exp(rng.normal(0.0, sd)) / own)
                    rows.append((f"E{n:06d}", kind, coder, level, clock, clock + took,
                                 day.normalize() - pd.Timedelta(days=int(rng.integers(0, 3)))))
                    clock, n = clock + took, n + 1
    columns = ["chart_id", "chart_type", "coder", "coder_level", "started_at", "ended_at", "discharged_at"]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return level_speed


def test_level_speeds_from_a_log_not_made_by_the_model(tmp_path):
    """Coders who each have their own speed (the mixed model's coder effect is not 0 here, unlike in logs made by
    chartsim) and levels that code different types: each level's speed relative to mid within its 99.9 % interval."""
    truth = _world_log(tmp_path / "log.csv")
    fit = fit_department(read_log(tmp_path / "log.csv"), confidence=LEVEL)
    assert "random coder effect" in fit.speed_fit.method and fit.speed_fit.coder_sd > 0
    for lf in fit.levels:
        assert lf.pace.low <= truth[lf.level] <= lf.pace.high, (lf.level, lf.pace)


def _team_count(scenario, level: str) -> tuple[str, int]:
    path, team = next((p, t) for p, t in scenario.all_teams() if t.level == level)
    return f"{path}.count", team.count


def _mix_change(scenario, reps: int) -> dict[str, np.ndarray]:
    """Per replication (common random numbers), what-if minus base: one experienced coder replaced by a mid one."""
    (exp_path, n_exp), (mid_path, n_mid) = _team_count(scenario, "experienced"), _team_count(scenario, "mid")
    whatif = scenario.with_changes({exp_path: n_exp - 1, mid_path: n_mid + 1}, "test")
    base, changed = (sim.run(s, reps=reps, seed=7).replications for s in (scenario, whatif))
    return {m: changed[m].to_numpy() - base[m].to_numpy() for m in ("turnaround_mean_days", "charts_per_coder_day")}


def test_a_mix_what_if_on_the_fitted_scenario_agrees_with_the_truth(mix):
    """Replacing an experienced coder by a mid one changes turnaround and charts per coder-day alike in the fitted
    and the true department: the difference of the two changes lies within their combined 99 % interval.

    Both start as the log starts: the true department is run over the log's days from the fitted starting backlog.
    A level speed biased by the levels' mix (experienced 1.08 instead of 1.25) shrinks the turnaround change to a
    third, far outside this interval.
    """
    true, _, fitted_scenario = mix
    start = {"days": fitted_scenario.days, "arrivals.mix": dict(fitted_scenario.arrivals.mix),
             "arrivals.backlog": fitted_scenario.arrivals.backlog.model_dump(mode="json")}
    reps = 8
    got, want = _mix_change(fitted_scenario, reps), _mix_change(true.with_changes(start, "test"), reps)
    q = stats.t.ppf(0.995, reps - 1)
    for metric in got:
        se = math.sqrt(got[metric].var(ddof=1) / reps + want[metric].var(ddof=1) / reps)
        diff = got[metric].mean() - want[metric].mean()
        assert abs(diff) <= q * se, (metric, got[metric].mean(), want[metric].mean(), se)
    assert want["turnaround_mean_days"].mean() > 0.1  # the what-if matters in this department


def _day_first(log: pd.DataFrame) -> pd.DataFrame:
    """The example log with every timestamp written day/month/year, as many European systems export it."""
    log = log.copy()
    for col in ("started_at", "ended_at", "discharged_at", "query_sent_at", "query_answered_at"):
        stamps = pd.to_datetime(log[col].replace("", None))
        log[col] = stamps.dt.strftime("%d/%m/%Y %H:%M:%S").fillna("")
    return log


def test_day_first_dates_are_refused_unless_the_order_is_given(tmp_path):
    """03/02/2026 may be 3 February or 2 March: refused, naming the column and two rows; read with either option."""
    path = tmp_path / "dayfirst.csv"
    _day_first(_example()).to_csv(path, index=False)
    refused = fit_via_cli(path, "--out", tmp_path / "out.yaml", "--reps", "0")
    assert refused.exit_code == 2 and not (tmp_path / "out.yaml").exists()
    line = " ".join(refused.output.split())
    assert "column started_at: numeric dates such as '05/01/2026 08:00:00' (line 2) and" in line, line
    assert "can be read day first or month first" in line and "--dayfirst" in line
    original = read_log(EXAMPLE_LOG).sessions
    for options in ({"dates": DateForm(dayfirst=True)}, {"dates": DateForm(format="%d/%m/%Y %H:%M:%S")}):
        sessions = read_log(path, **options).sessions
        pd.testing.assert_frame_equal(sessions.drop(columns="row"), original.drop(columns="row"))
    result = fit_via_cli(path, "--out", tmp_path / "out.yaml", "--reps", "0", "--dayfirst")
    assert result.exit_code == 0, result.output
    assert "2026-01-05..2026-02-27" in (tmp_path / "out.yaml").read_text()


# chartsim in a child process that reports its own peak memory (KB) on its last line of stderr.
MEASURED_CLI = """
import sys
from sim.cli.app import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so it would include the test worker's own peak
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("maxrss", peak, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
def test_only_regular_files_are_read(tmp_path, kind):
    """/dev/zero, a named pipe with no writer and a directory: refused at once, in one line, in little memory."""
    import os
    import subprocess

    target = {"device": Path("/dev/zero"), "fifo": tmp_path / "log.csv", "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    out = tmp_path / "out.yaml"
    done = subprocess.run([sys.executable, "-c", MEASURED_CLI, "fit", str(target), "--out", str(out), "--reps", "0"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    assert done.returncode == 2, done.stderr
    *said, peak = done.stderr.strip().splitlines()
    message = " ".join((done.stdout + " ".join(said)).split())
    assert "not a regular file; a log is a CSV or Parquet file" in message and "Traceback" not in message
    assert not out.exists()
    assert peak.startswith("maxrss") and int(peak.split()[1]) < 400 * 1024  # KB: what importing chartsim takes


def test_a_log_over_the_size_bound_is_refused_unread(tmp_path, monkeypatch):
    from sim.fit import logfile

    monkeypatch.setattr(logfile, "MAX_LOG_BYTES", 1000)
    result = fit_via_cli(EXAMPLE_LOG, "--out", tmp_path / "out.yaml", "--reps", "0")
    assert result.exit_code == 2 and "a log must be at most 1,000 bytes" in " ".join(result.output.split())
    assert not (tmp_path / "out.yaml").exists()


def _mrn_as_chart_id(log: pd.DataFrame) -> pd.DataFrame:
    """Three encounters per id, as when the patient's MRN is exported as chart_id."""
    log = log.copy()
    codes = {c: f"MRN{i // 3:05d}" for i, c in enumerate(sorted(log["chart_id"].unique()))}
    log["chart_id"] = log["chart_id"].map(codes)
    return log


def test_a_patient_number_as_chart_id_is_refused(tmp_path):
    path = tmp_path / "mrn.csv"
    _mrn_as_chart_id(_example()).to_csv(path, index=False)
    result = fit_via_cli(path, "--out", tmp_path / "out.yaml", "--reps", "0")
    line = " ".join(result.output.split())
    assert result.exit_code == 2 and not (tmp_path / "out.yaml").exists(), line
    assert "chart_ids have more than one chart type or discharge time: MRN" in line
    assert "never the patient's MRN" in line and "more" in line and "Traceback" not in line


def test_overdispersed_daily_volume_is_written_as_negative_binomial(known, fitted, tmp_path):
    """Outpatient volume drawn negative binomial (k = 6) comes back negative binomial: its mean within z·sd/√n,
    k within the fit's 99.9 % profile interval; the Poisson types of the same log stay Poisson."""
    from sim.fit.write import scenario_text

    scenario, _ = known
    true_k = 6.0
    changed = scenario.with_changes({"arrivals.daily.outpatient.count": {"dist": "negative_binomial", "mean": 120,
                                                                         "dispersion": true_k}}, "test")
    path = tmp_path / "log.csv"
    generate_log.make_log(changed, seed=12, lead_in=7).to_csv(path, index=False)
    fit = fit_department(read_log(path), confidence=LEVEL)
    volume = fit.volumes["outpatient"]
    assert volume.k is not None and volume.k[1] <= true_k <= volume.k[2], volume.k
    weekdays = sum((fit.window.day0 + pd.Timedelta(days=d)).weekday() < 5 for d in range(fit.window.complete_days))
    sd = math.sqrt(120 + 120**2 / true_k)
    assert abs(volume.mean - 120) <= Z * sd / math.sqrt(weekdays)
    written = load_scenario_text(scenario_text(fit)).arrivals.daily
    assert written["outpatient"].count.dist == "negative_binomial"
    assert written["outpatient"].count.dispersion == pytest.approx(volume.k[0], rel=1e-3)
    assert {written[k].count.dist for k in ("inpatient", "surgical")} == {"poisson"}
    assert "negative binomial, dispersion k=" in volume.verdict
    assert all(v.k is None for v in fitted.volumes.values())  # the Poisson log is not called overdispersed


def load_scenario_text(text: str):
    import yaml

    from sim.scenario.config import parse_scenario

    return parse_scenario(yaml.safe_load(text), "fitted")


def test_a_level_that_shares_no_chart_type_keeps_speed_1_as_an_assumption():
    """Entry coders who alone code outpatient charts: their speed and the type's time cannot be told apart."""
    from sim.fit.speeds import fit_speeds

    rng = np.random.default_rng(2)
    rows = [("mid", "M1", "inpatient", 22.0), ("mid", "M2", "surgical", 25.0), ("experienced", "E1", "inpatient", 17.6),
            ("experienced", "E2", "surgical", 20.0), ("entry", "N1", "outpatient", 9.0)]
    charts = pd.DataFrame([{"first_level": lv, "first_coder": c, "chart_type": k,
                            "first_minutes": m * math.exp(rng.normal(0, 0.3)), "has_first_review": True,
                            "queried": False} for lv, c, k, m in rows for _ in range(200)])
    speeds = fit_speeds(charts)
    assert not speeds.levels["entry"].identified and speeds.levels["entry"].speed == 1.0
    assert "share no chart type with the other levels" in speeds.levels["entry"].phrase()
    experienced = speeds.levels["experienced"]
    assert experienced.identified and experienced.low <= 1.25 <= experienced.high
