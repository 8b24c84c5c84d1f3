"""The report's numbers say what the key results say: per coder-day worked, shrinkage as defined, units in words.

Expected values are computed here from the run folder's own CSV files with
pandas; the definitions are those of sim.runs.metrics ("per-coder-day
figures describe the days worked; absent days only count in pay and
shrinkage").
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

import sim
from sim.report import build_report, load_run, plots, plots_for
from sim.report.fan import _date, fan_charts
from sim.report.figures import DOCUMENTED_LOW
from sim.report.inputs import inputs_table
from sim.runs.write import write_run
from sim.scenario.config import parse_scenario
from sim.scenario.state_files import RUN_FILES
from tests.test_report import _staff_folder

ROOT = Path(__file__).resolve().parents[1]
TIME_USE = ["coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes"]
E_NOTATION = re.compile(r"\de[+-]?\d", re.IGNORECASE)


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """department_year.yaml (absence, rework, audits, revenue) over three weeks with one what-if, and its report."""
    raw = sim.load_scenario(ROOT / "scenarios" / "department_year.yaml").model_dump(mode="json")
    raw.update(days=21, warmup_days=2)
    raw["season"]["start"] = 7
    raw["coders"]["teams"]["october_hire"]["ramp"]["start_day"] = 7
    raw["variants"] = {"hire_october": raw["variants"]["hire_october"]}
    folder = write_run(sim.run(parse_scenario(raw), reps=3, seed=3), tmp_path_factory.mktemp("year") / "run")
    build_report(folder)
    return folder


@pytest.fixture(scope="module")
def monday(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenarios/monday.yaml (a run from this morning's state, with revenue) over a week."""
    scenario = sim.load_scenario(ROOT / "scenarios" / "monday.yaml").with_changes({"days": 7}, "test")
    return write_run(sim.run(scenario, reps=2, seed=3, keep_charts=False), tmp_path_factory.mktemp("monday") / "run")


def _coder_days(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The coder-days after warm-up, and those of them worked (no minute away)."""
    cd = pd.read_csv(folder / "coder_days.csv")
    scheduled = cd.loc[~cd["warmup"]]
    worked = scheduled.loc[scheduled["absent_minutes"] == 0]
    assert len(worked) < len(scheduled), "the run needs days away after warm-up for these tests to mean anything"
    return scheduled, worked


def test_charts_per_coder_day_figure_counts_the_days_worked(year: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The share reaching 20 and the curves are over the days worked, as charts_per_coder_day is; absent days out."""
    scheduled, worked = _coder_days(year)
    drawn: list[np.ndarray] = []
    real_ecdf = plots.ecdf
    monkeypatch.setattr(plots, "ecdf", lambda values: drawn.append(np.sort(values)) or real_ecdf(values))
    run = load_run(year)
    plot = plots.charts_per_day(run.coder_days, run.summary)
    assert plot.drawn
    variants = list(dict.fromkeys(scheduled["variant"]))
    assert len(drawn) == len(variants) == 2
    for values, v in zip(drawn, variants):
        np.testing.assert_array_equal(values, np.sort(worked.loc[worked["variant"] == v, "charts_coded"].to_numpy(float)))
    base, every = worked.loc[worked["variant"] == "base"], scheduled.loc[scheduled["variant"] == "base"]
    share = (base["charts_coded"] >= DOCUMENTED_LOW).mean()
    assert f"{share:.0%} of the coder-days worked reach the documented 20" in plot.reading
    assert f"({len(every) - len(base):,} coder-days away on leave or sick are left out)" in plot.reading
    mean = pd.read_csv(year / "summary.csv").set_index(["variant", "metric"]).loc[("base", "charts_per_coder_day"), "mean"]
    assert f"{mean:.1f} charts per coder-day worked" in plot.reading


def test_charts_per_coder_day_histogram_of_one_variant_is_of_the_days_worked(year: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    scheduled, worked = _coder_days(year)
    drawn: list[np.ndarray] = []
    real_hist = matplotlib.axes.Axes.hist

    def hist(self, x, *args, **kwargs):
        drawn.append(np.sort(np.asarray(x, dtype=float)))
        return real_hist(self, x, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "hist", hist)
    run = load_run(year)
    plot = plots.charts_per_day(run.coder_days.loc[run.coder_days["variant"] == "base"], run.summary)
    assert plot.drawn and len(drawn) == 1
    np.testing.assert_array_equal(drawn[0], np.sort(worked.loc[worked["variant"] == "base", "charts_coded"].to_numpy(float)))


def test_time_use_is_over_the_days_worked_and_its_shrinkage_is_the_metric(year: Path) -> None:
    """The minutes a day are those of the days worked (the key results' paid_minutes); shrinkage = away + breaks."""
    scheduled, worked = _coder_days(year)
    run = load_run(year)
    reading = plots.time_use(run.coder_days).reading
    base = worked.loc[worked["variant"] == "base"]
    total = base[TIME_USE + ["audit_minutes"]].mean().sum()
    assert total == pytest.approx(base["paid_minutes"].mean())
    assert f"of {total:.0f} minutes a day worked" in reading
    assert f"{base['break_minutes'].mean() / total:.0%} to breaks" in reading
    # Shrinkage as sim.runs.metrics defines it: days away and breaks over the scheduled shift minutes of every
    # coder-day after warm-up, per replication, then the mean over replications (summary.csv).
    shift = run.scenario["shift"]
    minutes = (pd.Timestamp(f"2000-01-01 {shift['end']}") - pd.Timestamp(f"2000-01-01 {shift['start']}")).seconds / 60
    mine = scheduled.loc[scheduled["variant"] == "base"].groupby("replication")
    away = (mine["absent_minutes"].sum() / (mine.size() * minutes)).mean()
    breaks = (mine["break_minutes"].sum() / (mine.size() * minutes)).mean()
    summary = pd.read_csv(year / "summary.csv").set_index(["variant", "metric"])
    assert away + breaks == pytest.approx(summary.loc[("base", "shrinkage"), "mean"], rel=1e-9)
    said = re.search(r"Shrinkage, .*? is (\d+)%: (\d+)% days away on leave or sick and (\d+)% breaks\.", reading)
    assert said is not None, reading
    shown_total, shown_away, shown_breaks = (int(g) for g in said.groups())
    assert shown_total == round(100 * summary.loc[("base", "shrinkage"), "mean"])
    assert shown_away + shown_breaks == shown_total  # the parts add up to the total they are parts of
    assert shown_away in (math.floor(100 * away), math.ceil(100 * away))
    assert shown_breaks in (math.floor(100 * breaks), math.ceil(100 * breaks))


def test_per_coder_sheet_counts_the_days_worked_and_the_days_away_apart(year: Path) -> None:
    scheduled, worked = _coder_days(year)
    sheet = pd.read_excel(year / "results.xlsx", sheet_name="Per coder")
    keys = ["variant", "coder", "team", "level"]
    counted = scheduled.groupby(keys, sort=False).agg(
        coder_days=("absent_minutes", lambda m: int((m == 0).sum())),
        absent_days=("absent_minutes", lambda m: int((m > 0).sum())),
    )
    means = worked.groupby(keys, sort=False)[["charts_coded", "paid_minutes", "break_minutes"]].mean()
    got = sheet.set_index(keys)
    assert len(got) == len(counted)
    assert (got["coder_days"] == counted.loc[got.index, "coder_days"]).all()
    assert (got["absent_days"] == counted.loc[got.index, "absent_days"]).all()
    assert counted["absent_days"].sum() > 0
    for col in means:
        np.testing.assert_allclose(got.loc[means.index, col].to_numpy(float), means[col].to_numpy(float), rtol=1e-12)
    assert "absent_minutes" not in sheet  # every day worked has none: the days away are their own column


def test_staffing_curve_draws_at_a_confidence_under_one_half(tmp_path: Path) -> None:
    """At confidence 0.4 the two-sided level 2c − 1 is −20 %: the 'interval' is inverted, so no bars, and a note."""
    data = {
        "name": "tiny department", "days": 7, "target_days": 1,
        "chart_types": {"chart": {"coding_time": {"dist": "uniform", "low": 8, "high": 16}}},
        "arrivals": {"daily": {"chart": {"count": {"dist": "poisson", "mean": 100}}}},
        "coders": {"count": 10, "teams": {"nights": {"count": 2, "speed": 0.5}}},
        "shift": {"start": "08:00", "end": "16:30", "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "breaks": [{"at": "12:00", "minutes": 30}], "interruptions": {"per_day": 0},
    }
    folder = _staff_folder(tmp_path / "staff", "turnaround_p95_days <= 1", (1, 4), data=data, confidence=0.4)
    table = pd.read_csv(folder / "staffing.csv")
    assert (table["ci_low"] > table["mean"]).any() and (table["ci_level"] <= 0).all()  # the case that crashed
    plot = plots_for(load_run(folder))[0]
    assert plot.key == "staffing" and plot.drawn
    assert f"the two-sided level 2c − 1 is {table['ci_level'].iloc[0]:.0%}" in plot.reading
    assert "No interval is drawn" in plot.reading
    assert build_report(folder).is_file()


def test_fan_chart_readings_say_each_number_in_its_unit(monday: Path) -> None:
    """The last day's median and bands, read back from the sentence, are forecast.csv's; dollars, charts or days."""
    forecast = pd.read_csv(monday / "forecast.csv")
    units = {"backlog": "charts", "on_hold": "charts", "coded": "charts", "dnfb_dollars": "$", "dnfb_days": "days",
             "turnaround_p95_days": "days"}
    fans = fan_charts(monday, load_run(monday).scenario)
    assert {p.key for p in fans} == {f"fan_{m}" for m in units}
    for plot in fans:
        metric = plot.key.removeprefix("fan_")
        assert not E_NOTATION.search(plot.reading), plot.reading
        mine = forecast.loc[(forecast["chart_type"] == "all") & (forecast["metric"] == metric)]
        last = mine.loc[(mine["variant"] == mine["variant"].iloc[0]) & mine["p50"].notna()].iloc[-1]
        assert _date(last["date"]) in plot.reading  # the last day with a value (a day may code no chart)
        number = r"\$?([\d,]+(?:\.\d+)?)"
        tail = "" if units[metric] == "$" else f" {units[metric]}"
        said = re.search(rf"median {number}{tail} at the end .*?\(50 % of runs {number}–{number}{tail}, "
                         rf"90 % {number}–{number}{tail}\)", plot.reading)
        assert said is not None, plot.reading
        if units[metric] == "$":
            assert plot.reading.count("$") == 5
        for text, column in zip(said.groups(), ("p50", "p25", "p75", "p5", "p95")):
            assert float(text.replace(",", "")) == pytest.approx(last[column], rel=2e-3, abs=5e-3), (metric, column)


def test_inputs_summarise_the_starting_state_files(monday: Path) -> None:
    """The open charts, forecast and leave are summarised (their rows are files in the run folder), not dumped."""
    run = load_run(monday)
    rows = {r.path: r for r in inputs_table(run.scenario)}
    charts = pd.read_csv(monday / "open_charts.csv")
    charts = charts.reindex(columns=[*charts.columns.difference(["query_sent_at", "query_answered_at", "started_by"]),
                                     "query_sent_at", "query_answered_at", "started_by"])  # a column all empty is left out
    on_hold = int((charts["query_sent_at"].notna() & charts["query_answered_at"].isna()).sum())
    in_hand = int(charts["started_by"].notna().sum())
    assert on_hold and in_hand  # monday.yaml's open charts: some on hold, some in a coder's hands
    assert rows["state.open_charts"].value.startswith(
        f"{len(charts):,} open charts ({on_hold:,} on hold, {in_hand:,} in hand)")
    assert RUN_FILES[("state", "open_charts")] in rows["state.open_charts"].value
    volume = pd.read_csv(monday / "volume_forecast.csv")
    assert rows["arrivals.volume_forecast"].value.startswith(f"{volume['date'].nunique():,} days")
    assert f"{volume['expected'].sum():,.0f} charts expected in all" in rows["arrivals.volume_forecast"].value
    for row in rows.values():
        assert "{'" not in row.value and len(row.value) < 300, row
    assert rows["state.answers.probability"].unit == "share of replications"
    assert rows["chart_types.inpatient.query.probability"].unit == "share of charts"
