"""report.html and results.xlsx are made from a run folder alone, and are safe to open and forward."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import sim
from sim.cli.app import app
from sim.report import build_report, load_run, plots, plots_for
from sim.report.gantt import coder_day
from sim.report.load import RunFolderError
from sim.runs.write import write_run
from sim.scenario.config import parse_scenario
from sim.scenario.whatifs import set_path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SECTIONS = ["Objective", "Model logic", "Inputs", "Experimentation", "Implementation", "Results"]
HOSTILE = "<script>alert(1)</script>"
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _folder(scenario: sim.Scenario, out: Path, reps: int = 3, seed: int = 11) -> Path:
    write_run(sim.run(scenario, reps=reps, seed=seed), out)
    return out


def _multi_day() -> sim.Scenario:
    """Two weeks of daily arrivals for three coders, with two what-ifs: every figure applies."""
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw.update(name="two weeks", days=14, warmup_days=2)
    set_path(raw, "coders.count", 3)
    set_path(raw, "arrivals.daily", {
        "inpatient": {"count": {"dist": "poisson", "mean": 30}},
        "outpatient": {"count": {"dist": "poisson", "mean": 40}},
    })
    raw["variants"] = {
        "four coders": {"description": "a fourth coder", "set": {"coders.count": 4}},
        "CAC": {"description": "outpatient 30 % faster", "set": {"chart_types.outpatient.coding_time.scale": 0.7}},
    }
    return parse_scenario(raw)


@pytest.fixture(scope="module")
def multi_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _folder(_multi_day(), tmp_path_factory.mktemp("multi") / "run")
    build_report(folder)
    return folder


def _images(html: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(b64))) for b64 in IMG.findall(html)]


def _check_page(html: str) -> None:
    for i, title in enumerate(SECTIONS, start=1):
        assert f"<h2>{i}. {title}</h2>" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)""", html, re.I)
    assert "http://" not in html and "https://" not in html
    for im in _images(html):
        im.load()  # raises if the PNG does not decode
        assert im.format == "PNG" and im.size[0] > 200 and im.size[1] > 100


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_report_builds_for_each_bundled_scenario(path: Path, tmp_path: Path) -> None:
    """Every scenario in scenarios/ reports: six sections, decodable images, no external reference."""
    folder = _folder(sim.load_scenario(path), tmp_path / "run", reps=2)
    html = build_report(folder).read_text(encoding="utf-8")
    _check_page(html)
    assert len(_images(html)) >= 3  # charts per day, time use and the coder's day apply to every scenario
    assert (folder / "results.xlsx").is_file()


def test_every_figure_drawn_when_every_figure_applies(multi_day: Path) -> None:
    """A multi-day run with variants draws all six run figures, none replaced by a note."""
    html = (multi_day / "report.html").read_text(encoding="utf-8")
    _check_page(html)
    plots = plots_for(load_run(multi_day))
    assert [p.key for p in plots] == ["charts_per_day", "forest", "backlog", "turnaround", "time_use", "gantt"]
    assert all(p.drawn and p.reading for p in plots)
    assert len(_images(html)) == 6
    assert "four coders" in html and "coders.count = 4" in html  # the question each variant asks


def test_one_day_run_omits_backlog_by_day_with_a_note(tmp_path: Path) -> None:
    folder = _folder(sim.load_scenario(ROOT / "scenarios" / "baseline.yaml"), tmp_path / "run")
    plots = {p.key: p for p in plots_for(load_run(folder))}
    assert not plots["backlog"].drawn and "single day" in plots["backlog"].note
    assert not plots["forest"].drawn and "no variants" in plots["forest"].note
    html = build_report(folder).read_text(encoding="utf-8")
    assert 'id="fig-backlog"' in html and "single day" in html


def test_inputs_show_unit_and_basis_from_sources(multi_day: Path) -> None:
    html = (multi_day / "report.html").read_text(encoding="utf-8")
    row = re.search(r"inpatient\.<wbr>coding_time</code></td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", html)
    assert row is not None
    assert row[1] == "uniform 15–20" and row[2] == "minutes" and ">documented<" in row[3]
    surgical = re.search(r"surgical\.<wbr>coding_time</code></td><td>.*?</td><td>.*?</td><td>(.*?)</td>", html)
    assert surgical is not None and ">assumption<" in surgical[1]


def test_workbook_holds_the_summary_numbers(multi_day: Path) -> None:
    csv = pd.read_csv(multi_day / "summary.csv")
    sheets = pd.read_excel(multi_day / "results.xlsx", sheet_name=None)
    assert list(sheets) == ["Summary", "Comparison", "Per day", "Per coder", "Tables", "About"]
    book = sheets["Summary"]
    assert list(book["metric"]) == list(csv["metric"]) and list(book["variant"]) == list(csv["variant"])
    for col in ("n", "mean", "sd", "ci_low", "ci_high", "p5", "p50", "p95"):
        np.testing.assert_allclose(book[col].to_numpy(float), csv[col].to_numpy(float), rtol=1e-12, equal_nan=True)
    comp = pd.read_csv(multi_day / "comparison.csv")
    np.testing.assert_allclose(sheets["Comparison"]["difference"].to_numpy(float), comp["difference"].to_numpy(float),
                               rtol=1e-12, equal_nan=True)


def test_workbook_summarises_days_and_coders_and_says_where_the_rows_are(multi_day: Path) -> None:
    """Per day: means over replications; per coder: means over coder-days after warm-up; the rows stay in the folder."""
    sheets = pd.read_excel(multi_day / "results.xlsx", sheet_name=None)
    days = pd.read_csv(multi_day / "days.csv")
    per_day = sheets["Per day"]
    assert len(per_day) == len(days.groupby(["variant", "day"]))  # one row per variant and day, not per replication
    day5 = days.loc[(days["variant"] == "CAC") & (days["day"] == 5), "backlog"]
    row = per_day.loc[(per_day["variant"] == "CAC") & (per_day["day"] == 5)].iloc[0]
    assert row["replications"] == 3 and row["backlog"] == pytest.approx(day5.mean(), rel=1e-12)
    assert row["backlog_p5"] == pytest.approx(day5.quantile(0.05)) and row["backlog_p95"] == pytest.approx(day5.quantile(0.95))
    cd = pd.read_csv(multi_day / "coder_days.csv")
    kept = cd.loc[~cd["warmup"]]
    per_coder = sheets["Per coder"]
    assert len(per_coder) == 3 + 4 + 3  # one row per coder of each variant: base 3, four coders 4, CAC 3
    mine = kept.loc[(kept["variant"] == "four coders") & (kept["coder"] == 3)]
    row = per_coder.loc[(per_coder["variant"] == "four coders") & (per_coder["coder"] == 3)].iloc[0]
    assert row["coder_days"] == len(mine) and row["charts_coded"] == pytest.approx(mine["charts_coded"].mean(), rel=1e-12)
    assert "day" not in per_coder and "replication" not in per_coder
    tables = sheets["Tables"].set_index("table")
    assert tables.loc["coder_days.csv", "rows"] == len(cd) and tables.loc["charts.csv", "rows"] == len(
        pd.read_csv(multi_day / "charts.csv", usecols=["chart_id"]))
    assert "left in the folder" in tables.loc["charts.csv", "in this report"]
    assert tables.loc["charts.csv", "read it with"] == "pandas.read_csv('charts.csv')"
    html = (multi_day / "report.html").read_text(encoding="utf-8")
    assert "Data behind this report" in html and f"<td class=\"num\">{len(cd):,}</td>" in html


def test_workbook_is_formatted(multi_day: Path) -> None:
    from openpyxl import load_workbook

    ws = load_workbook(multi_day / "results.xlsx")["Summary"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    mean_col = [c.column_letter for c in ws[1] if c.value == "mean"][0]
    assert ws[f"{mean_col}2"].number_format == "#,##0.00"
    assert ws.column_dimensions["D"].width > 20  # the 'meaning' column is wide enough to read


def test_hostile_scenario_text_is_escaped(tmp_path: Path) -> None:
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw["name"] = HOSTILE
    raw["description"] = f"desc {HOSTILE}"
    raw["variants"] = {f"v{HOSTILE}": {"description": HOSTILE, "set": {"coders.count": 2}}}
    raw["sources"]["arrivals.mix"] = f"assumption: {HOSTILE}"
    folder = _folder(parse_scenario(raw), tmp_path / "run", reps=2)
    html = build_report(folder).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>chartsim report — &lt;script&gt;" in html


def test_staffing_folder_draws_the_staffing_curve(tmp_path: Path) -> None:
    folder = tmp_path / "staff"
    folder.mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", folder / "scenario.yaml")
    pd.DataFrame({
        "coders": [2, 3, 4], "mean": [5.0, 3.1, 2.2], "ci_low": [4.5, 2.9, 2.0], "ci_high": [5.5, 3.3, 2.4],
        "p_met": [0.0, 0.4, 1.0], "p_met_low": [0.0, 0.2, 0.8], "p_met_high": [0.2, 0.6, 1.0], "met": [False, False, True],
    }).to_csv(folder / "staffing.csv", index=False)
    (folder / "staffing.json").write_text('{"target": "turnaround_p95_days <= 3", "answer": 4, "seed": 1, "replications": 5}')
    plots = plots_for(load_run(folder))
    assert plots[0].key == "staffing" and plots[0].drawn and "4 coders" in plots[0].reading
    html = build_report(folder).read_text(encoding="utf-8")
    _check_page(html)
    assert "Smallest main team meeting turnaround_p95_days &lt;= 3: 4 coders" in html
    assert "CI (level not recorded)" in html and "95% CI" not in html  # an old folder: no level, none invented
    assert pd.read_excel(folder / "results.xlsx", sheet_name="Staffing")["coders"].tolist() == [2, 3, 4]


# ------------------------------------------------------------------ staffing folders written by chartsim staff


def _staff_folder(out: Path, target: str, coders: tuple[int, int], data: dict | None = None,
                  confidence: float = 0.9) -> Path:
    """A real staffing search on a tiny department (main team starts at 10, one fixed team of 2)."""
    from sim.analysis.staffing import search, write_staffing
    from sim.analysis.targets import parse_target

    raw = data or {
        "name": "tiny department", "days": 7, "target_days": 1,
        "chart_types": {"chart": {"coding_time": {"dist": "fixed", "value": 12}}},
        "arrivals": {"daily": {"chart": {"count": {"dist": "fixed", "value": 100}}}},
        "coders": {"count": 10, "teams": {"nights": {"count": 2, "speed": 0.5}}},
        "shift": {"start": "08:00", "end": "16:30", "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "breaks": [{"at": "12:00", "minutes": 30}], "interruptions": {"per_day": 0},
    }
    scenario = parse_scenario(raw)
    goal = parse_target(target, [m for m in sim.runs.registry.metric_names(scenario.chart_types)])
    write_staffing(search(scenario, goal, coders, confidence=confidence, reps=3), out)
    return out


def test_staffing_report_states_interval_level_and_headcount_not_the_base_count(tmp_path: Path) -> None:
    """1,200 min a day; the fixed team (2 × speed 0.5) gives 480: 2 main-team coders (4 in all), not the file's 10."""
    folder = _staff_folder(tmp_path / "staff", "backlog_end <= 0", (1, 4))
    html = build_report(folder).read_text(encoding="utf-8")
    _check_page(html)
    assert "Smallest main team meeting backlog_end &lt;= 0: 2 coders (2 main team + 2 nights = 4 coders in all)" in html
    assert "<th class=\"num\">80% CI</th>" in html and "[95% CI]" not in html
    assert "80% two-sided t interval of the mean" in html and "one-sided 90% bound" in html
    assert "The staffing search varies the main team (coders.count) from 1 to 4 coders" in html
    assert "the other teams are fixed: nights 2" in html
    assert "12 coders" not in html and "10 coders" not in html  # the scenario file's count is not the answer
    plot = plots_for(load_run(folder))[0]
    assert "2 coders (4 in all" in plot.reading
    sheet = pd.read_excel(folder / "results.xlsx", sheet_name="Staffing")
    assert sheet["ci_level"].tolist() == pytest.approx([0.8] * len(sheet))
    assert (sheet["total_coders"] == sheet["coders"] + 2).all()


def test_staffing_report_says_when_the_curve_is_flat(tmp_path: Path) -> None:
    data = {
        "name": "slow queries", "days": 7, "target_days": 1,
        "chart_types": {"chart": {"coding_time": {"dist": "fixed", "value": 10}, "query": {"probability": 0.3}}},
        "arrivals": {"daily": {"chart": {"count": {"dist": "fixed", "value": 60}}}},
        "queries": {"answer_delay": {"dist": "fixed", "value": 3, "unit": "days"}},
        "shift": {"start": "08:00", "end": "16:30", "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "interruptions": {"per_day": 0},
    }
    folder = _staff_folder(tmp_path / "staff", "turnaround_p95_days <= 2", (1, 5), data)
    html = build_report(folder).read_text(encoding="utf-8")
    assert "No team size searched (1..5 main-team coders) meets turnaround_p95_days &lt;= 2: the curve is flat" in html
    assert "more coders will not meet" in html and "physician&#39;s answer to a query" in html
    assert "flat" in plots_for(load_run(folder))[0].reading


def test_key_results_clip_a_negative_count_bound_with_a_note(multi_day: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(multi_day, folder)
    summary = pd.read_csv(folder / "summary.csv")
    row = (summary["variant"] == "base") & (summary["metric"] == "on_hold_end")
    summary.loc[row, ["mean", "ci_low", "ci_high"]] = [3.0, -1.5, 7.5]
    summary.to_csv(folder / "summary.csv", index=False)
    html = build_report(folder).read_text(encoding="utf-8")
    assert "3.000 [0ᵃ – 7.500]" in html and "-1.5" not in html
    assert "ᵃ interval truncated at 0" in html


def test_report_reads_the_registry_for_names_and_units(multi_day: Path) -> None:
    from sim.runs.registry import headline_names, lookup

    html = (multi_day / "report.html").read_text(encoding="utf-8")
    shown = set(pd.read_csv(multi_day / "summary.csv").dropna(subset=["mean"])["metric"])
    for name in headline_names(["inpatient", "outpatient", "surgical"]):
        if name in shown:
            assert f'title="{name}"' in html, name  # every headline metric, named by the registry
    assert lookup("cost_per_chart").meaning in html
    book = pd.read_excel(multi_day / "results.xlsx", sheet_name="Summary")
    assert book.loc[book["metric"] == "cost_per_chart", "better"].iloc[0] == "lower"


def test_report_reads_only_what_its_figures_need(multi_day: Path, monkeypatch) -> None:
    """The per-chart tables are never read whole: turnaround from turnaround.csv, one replication for the day.

    A folder from before turnaround.csv draws the same figure from three columns of charts.csv.
    """
    from sim.report import TURNAROUND_COLUMNS
    from sim.report.load import RunFolder

    whole = RunFolder.whole
    asked: list[tuple[str, object]] = []

    def no_whole(self, name):
        assert name not in ("charts", "activities"), f"the report read {name} whole"
        return whole(self, name)

    def columns(self, name, wanted):
        asked.append((name, list(wanted)))
        return columns_of(self, name, wanted)

    columns_of = RunFolder.columns
    monkeypatch.setattr(RunFolder, "whole", no_whole)
    monkeypatch.setattr(RunFolder, "columns", columns)
    lean = {p.key: p for p in plots_for(load_run(multi_day))}
    assert asked == []  # turnaround.csv holds the counts: charts.csv is not read for the figure
    older = load_run(multi_day)
    older.turnaround = None  # as a folder written before turnaround.csv
    older_turnaround = next(p for p in plots_for(older) if p.key == "turnaround")
    assert asked == [("charts", TURNAROUND_COLUMNS)]
    monkeypatch.undo()
    run = load_run(multi_day)
    full = {p.key: p for p in (plots.turnaround(run.charts, 2, float(run.scenario["target_days"])),
                               coder_day(run.charts, run.scenario, run.coder_days, activities=run.activities))}
    for key in ("turnaround", "gantt"):
        assert lean[key].drawn and lean[key].reading == full[key].reading  # the same figure as from the whole tables
    assert older_turnaround.reading == full["turnaround"].reading


def test_one_replication_read_is_that_replication(multi_day: Path) -> None:
    """Reading stops after the replication's block of rows, and holds every row of it."""
    run = load_run(multi_day)
    for name in ("charts", "activities"):
        table = run.whole(name)
        for variant, rep in (("base", 0), ("four coders", 1), ("CAC", 2)):
            got = load_run(multi_day).replication(name, variant, rep)
            want = table.loc[(table["variant"] == variant) & (table["replication"] == rep)]
            assert len(got) == len(want) > 0
            np.testing.assert_allclose(got["start" if name == "activities" else "arrived_at"].to_numpy(float),
                                       want["start" if name == "activities" else "arrived_at"].to_numpy(float))
    assert load_run(multi_day).replication("charts", "base", 99).empty


def test_ecdf_is_thinned_within_its_bound() -> None:
    """A million values drawn as at most 2,001 steps, off the full ECDF by at most 100/2000 percentage points."""
    from sim.report.figures import ECDF_POINTS, ecdf

    x = np.random.default_rng(5).lognormal(size=1_000_000)
    xs, ys = ecdf(x)
    assert len(xs) <= ECDF_POINTS + 1 and ys[-1] == 100 and xs[-1] == x.max()
    grid = np.quantile(x, np.linspace(0.001, 0.999, 500))
    full = np.searchsorted(np.sort(x), grid, side="right") / len(x) * 100
    drawn = ys[np.searchsorted(xs, grid, side="right") - 1]
    assert np.abs(full - drawn).max() <= 100 / ECDF_POINTS
    small = np.array([3.0, 1.0, 2.0])
    xs, ys = ecdf(small)  # few values: every step
    assert list(xs) == [1.0, 2.0, 3.0] and ys == pytest.approx([100 / 3, 200 / 3, 100.0])


def test_report_of_a_run_with_parquet_chart_tables(tmp_path: Path) -> None:
    """--charts-format parquet: the turnaround and the coder's day are drawn from charts.parquet/ and activities.parquet/."""
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--reps", "3", "--out", str(out),
                                      "--charts", "--charts-format", "parquet"])
    assert result.exit_code == 0, result.output
    assert (out / "charts.parquet").is_dir() and not (out / "charts.csv").exists()
    plots_ = {p.key: p for p in plots_for(load_run(out))}
    assert plots_["turnaround"].drawn and plots_["gantt"].drawn
    assert "no activities.csv" not in plots_["gantt"].reading  # breaks and questions found in activities.parquet
    html = build_report(out).read_text(encoding="utf-8")
    assert "<code>charts.parquet</code>" in html
    tables = pd.read_excel(out / "results.xlsx", sheet_name="Tables").set_index("table")
    assert tables.loc["charts.parquet", "rows"] == len(pd.read_parquet(out / "charts.parquet"))
    assert tables.loc["charts.parquet", "read it with"] == "pandas.read_parquet('charts.parquet')"


def test_plots_use_the_calendar_day() -> None:
    import inspect

    assert "1440" not in inspect.getsource(plots)


# ------------------------------------------------------------------ command line


def test_cli_report_writes_files_and_never_reruns(multi_day: Path, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(multi_day, folder)
    (folder / "report.html").unlink()
    (folder / "results.xlsx").unlink()

    def no_run(*args, **kwargs):
        raise AssertionError("the report re-ran the simulation")

    monkeypatch.setattr("sim.runs.runner.run", no_run)  # the CLI imports the runner when a command needs it
    monkeypatch.setattr("sim.runs.runner.run_to_precision", no_run)
    monkeypatch.setattr("sim.runs.tasks.simulate_chunk", no_run)
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file() and (folder / "results.xlsx").is_file()


@pytest.mark.parametrize("remove", ["summary.csv", "scenario.yaml", "manifest.json", None])
def test_cli_report_refuses_missing_or_incomplete_folder(multi_day: Path, tmp_path: Path, remove: str | None) -> None:
    if remove is None:
        folder = tmp_path / "nowhere"
    else:
        folder = tmp_path / "copy"
        shutil.copytree(multi_day, folder)
        (folder / "report.html").unlink()
        (folder / remove).unlink()
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "error" in lines[0] and (remove or "no such directory") in lines[0]
    assert not (folder / "report.html").exists()


def test_cli_report_refuses_truncated_table(multi_day: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(multi_day, folder)
    (folder / "summary.csv").write_text("")
    with pytest.raises(RunFolderError, match="summary"):
        load_run(folder)
    assert CliRunner().invoke(app, ["report", str(folder)]).exit_code == 2


def test_cli_run_with_report_flag(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--reps", "3", "--out", str(out), "--report"]
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    _check_page(html)
    assert (out / "results.xlsx").is_file()


def _short_year() -> sim.Scenario:
    """department_year.yaml (absence, accuracy, revenue) over two weeks, the season and the hire moved inside."""
    raw = sim.load_scenario(ROOT / "scenarios" / "department_year.yaml").model_dump(mode="json")
    raw.update(days=14, warmup_days=2)
    raw["season"]["start"] = 7
    raw["coders"]["teams"]["october_hire"]["ramp"]["start_day"] = 7
    raw["variants"] = {"hire_october": raw["variants"]["hire_october"]}  # one what-if: a line per variant
    return parse_scenario(raw)


def test_revenue_absence_and_rework_reach_the_report(tmp_path: Path) -> None:
    """DNFB dollars get their own figure; absence and rework show in the time use, with shrinkage in words."""
    folder = _folder(_short_year(), tmp_path / "run", reps=2)
    plots = {p.key: p for p in plots_for(load_run(folder))}
    assert plots["dnfb"].drawn and "waits on coding" in plots["dnfb"].reading
    reading = plots["time_use"].reading
    assert "Shrinkage" in reading and "Reworking" in reading and "Auditing" in reading
    html = build_report(folder, excel=False).read_text(encoding="utf-8")
    _check_page(html)
    assert 'id="fig-dnfb"' in html and "DNFB dollars by day" in html and "hire_october" in html
    assert "Shrinkage (days away" in html


def test_run_without_revenue_has_no_dnfb_figure(multi_day: Path) -> None:
    html = (multi_day / "report.html").read_text(encoding="utf-8")
    assert "DNFB" not in html and "fig-dnfb" not in html
    assert "Shrinkage" not in html and "reworking errors" not in html


def test_dnfb_figure_draws_the_variants_with_revenue_when_the_base_has_none(tmp_path: Path) -> None:
    """A revenue section set by a variant only: the base's DNFB cells are empty, the figure shows the variant."""
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw.update(days=3, variants={"priced": {"set": {"revenue": {"per_chart": {
        "inpatient": 12000, "outpatient": 300, "surgical": 8000}}}}})
    folder = _folder(parse_scenario(raw), tmp_path / "run", reps=2)
    plots = {p.key: p for p in plots_for(load_run(folder))}
    assert plots["dnfb"].drawn, plots["dnfb"].note
    assert plots["dnfb"].reading.startswith("priced: on average $")
    assert "Not drawn, having no revenue section: base." in plots["dnfb"].reading


def test_report_of_a_run_in_which_no_coder_worked_says_so(tmp_path: Path) -> None:
    """A run over a weekend (no shift) still reports: the coder's day is a note, not a crash."""
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw.update(start_weekday="sat", days=2)
    folder = _folder(parse_scenario(raw), tmp_path / "run", reps=2)
    assert pd.read_csv(folder / "coder_days.csv").empty
    plots = {p.key: p for p in plots_for(load_run(folder))}
    assert not plots["gantt"].drawn and "did not work on any day of the run" in plots["gantt"].note
    assert build_report(folder).is_file()


def test_time_use_of_a_run_whose_variants_model_sections_the_base_lacks(tmp_path: Path) -> None:
    """Absence and coding errors set by variants only: the base's cells of those columns are empty in the
    folder's tables; its bars and reading are its own (no 'nan', no rework or shrinkage it does not model)."""
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw.update(days=3, variants={
        "absence": {"set": {"absence": {"unplanned_probability": 0.2}}},
        "errors": {"set": {"accuracy": {"error_probability": {"inpatient": 0.1, "outpatient": 0.1, "surgical": 0.1}}}},
    })
    folder = tmp_path / "run"
    sim.run_to_folder(parse_scenario(raw), folder, reps=3, seed=4)
    days = pd.read_csv(folder / "coder_days.csv")
    assert days.loc[days["variant"] == "base", ["absent_minutes", "rework_minutes"]].isna().all().all()
    plots = {p.key: p for p in plots_for(load_run(folder))}
    reading = plots["time_use"].reading
    assert plots["time_use"].drawn and reading.startswith("base: of ") and "nan" not in reading
    assert "Reworking" not in reading and "Shrinkage" not in reading
    worked = days.loc[days["variant"] == "base"]
    share = (worked["coding_minutes"].mean() / worked["paid_minutes"].mean())
    assert f"{share:.0%} go to coding" in reading
    charts = plots["charts_per_day"]
    assert charts.drawn and "nan" not in charts.reading
    assert build_report(folder).is_file()
