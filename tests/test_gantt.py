"""The report's day-in-the-life figure draws what the run recorded and says what the tables say.

A small department of two coders is worked out by hand (fixed times, a
physician query read by one coder and finished by the other, a break taken
late, billing questions at fixed times); the timeline the Gantt builds from
the written run folder must be that timeline, and on a random department
every coder-day's drawing must account for every minute of coder_days.csv.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.model import department
from sim.report.gantt import BREAK, CHART_PARTS, COMPLETION, FIRST, QUESTION, coder_day, day_in_the_life, segments
from sim.report.load import load_run
from sim.runs.write import write_run
from sim.scenario.calendar import DAY
from sim.scenario.config import parse_scenario
from sim.scenario.whatifs import set_path
from tests.conftest import fixed_questions

ROOT = Path(__file__).resolve().parents[1]

# Shift 08:00–09:50 (480–590), a 15-minute "coffee" break at 09:00 (540). Five
# "long" charts (30 min, never queried) and one "short" chart (10 min, always
# queried: 5 min to write, answered 10 min later, 4 min to finish), all waiting
# at 00:00; short charts are taken first. Two coders; billing questions at
# fixed times: coder 0 at 09:40 (4 min), coder 1 at 08:10 (3 min) and 09:10
# (2 min, during coder 1's break, so answered on return).
HAND = {
    "name": "gantt by hand",
    "days": 1,
    "chart_types": {
        "long": {"coding_time": {"dist": "fixed", "value": 30}},
        "short": {
            "coding_time": {"dist": "fixed", "value": 10},
            "query": {
                "probability": 1.0,
                "writing_time": {"dist": "fixed", "value": 5},
                "completion_time": {"dist": "fixed", "value": 4},
            },
        },
    },
    "arrivals": {
        "daily": {
            "long": {"count": {"dist": "fixed", "value": 5}},
            "short": {"count": {"dist": "fixed", "value": 1}},
        }
    },
    "coders": {"count": 2, "policy": "type_priority", "priority": ["short", "long"]},
    "shift": {"start": "08:00", "end": "09:50"},
    "breaks": [{"at": "09:00", "minutes": 15, "name": "coffee"}],
    "queries": {"answer_delay": {"dist": "fixed", "value": 10}},
}
QUESTIONS = {(0, 0): [(580.0, 4.0)], (1, 0): [(490.0, 3.0), (550.0, 2.0)]}  # (coder, day): (arrival, minutes)

# (kind, start, end, chart type, queried) by hand, in run minutes:
TIMELINE = {
    0: [
        (FIRST, 480, 495, "short", True),  # reads the short chart, writes the query at 495; answered at 505
        (FIRST, 495, 525, "long", False),
        (FIRST, 525, 555, "long", False),
        (BREAK, 555, 570, None, False),  # due 09:00, taken when the chart in hand is done
        (QUESTION, 580, 584, None, False),  # answered while idle (no chart left) 570–590
    ],
    1: [
        (FIRST, 480, 513, "long", False),  # 30 min + the 08:10 question (3 min)
        (QUESTION, 490, 493, None, False),
        (COMPLETION, 513, 517, "short", False),  # finishes the chart coder 0 read: back since 505
        (FIRST, 517, 547, "long", False),
        (BREAK, 547, 562, None, False),
        (QUESTION, 562, 564, None, False),  # came at 09:10 during the break: answered on return
        (FIRST, 562, 594, "long", False),  # 30 + 2; runs 4 minutes past the end of shift
    ],
}
# coder_days.csv by hand: charts_coded, queries_sent, interruptions, coding, query, interrupted, break, idle, after
COUNTS = {
    0: (2, 1, 1, 10 + 30 + 30, 5, 4, 15, 20 - 4, 0),
    1: (4, 0, 2, 30 + 4 + 30 + 30, 0, 3 + 2, 15, 0, 4),
}


@pytest.fixture(scope="module")
def hand_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:  # fixed billing questions instead of Poisson ones
        mp.setattr(department.Department, "desks", fixed_questions(QUESTIONS))
        results = sim.run(parse_scenario(HAND), reps=1, seed=1)
    return write_run(results, tmp_path_factory.mktemp("gantt") / "hand")


@pytest.fixture(scope="module")
def random_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten days of the bundled department: many coders, queries finished by others, questions, overtime."""
    raw = sim.load_scenario(ROOT / "scenarios" / "department.yaml").model_dump(mode="json")
    raw.update(days=10, warmup_days=0, variants={})
    set_path(raw, "chart_types.outpatient.query.probability", 0.2)
    set_path(raw, "interruptions.per_day", 6)
    return write_run(sim.run(parse_scenario(raw), reps=2, seed=3), tmp_path_factory.mktemp("gantt") / "random")


def _life(folder: Path, **where):
    run = load_run(folder)
    return day_in_the_life(run.charts, run.scenario, run.coder_days, run.activities, **where), run


def _row(run, life) -> pd.Series:
    cd = run.coder_days
    return cd.loc[(cd["variant"] == life.variant) & (cd["replication"] == life.replication)
                  & (cd["coder"] == life.coder) & (cd["day"] == life.day)].iloc[0]


@pytest.mark.parametrize("coder", [0, 1])
def test_timeline_is_the_hand_calculation(hand_folder: Path, coder: int) -> None:
    life, _ = _life(hand_folder, coder=coder, day=0)
    got = sorted(
        (r.kind, r.start, r.end, r.chart_type if r.kind in CHART_PARTS else None, bool(r.queried))
        for r in life.work.itertuples()
    )
    assert got == sorted((k, float(s), float(e), t, q) for k, s, e, t, q in TIMELINE[coder])
    assert (life.login, life.shift_end, life.logout) == (480.0, 590.0, {0: 590.0, 1: 594.0}[coder])


def test_the_reader_of_a_queried_chart_owns_its_first_review(hand_folder: Path) -> None:
    """charts.csv names the finisher (coder 1) and the opener (coder 0): each owns their part."""
    run = load_run(hand_folder)
    queried = run.charts.loc[run.charts["query_sent_at"].notna()].iloc[0]
    assert (queried["started_by"], queried["coder"]) == (0, 1)
    parts = segments(run.charts).set_index("kind").loc[lambda f: f["chart_id"] == queried["chart_id"]]
    assert parts.loc[FIRST, "coder"] == 0 and parts.loc[COMPLETION, "coder"] == 1


@pytest.mark.parametrize("coder", [0, 1])
def test_hand_counts_and_caption_are_coder_days(hand_folder: Path, coder: int) -> None:
    life, run = _life(hand_folder, coder=coder, day=0)
    row = _row(run, life)
    columns = ("charts_coded", "queries_sent", "interruptions", "coding_minutes", "query_minutes",
               "interrupted_minutes", "break_minutes", "idle_minutes", "after_shift_minutes")
    assert tuple(row[c] for c in columns) == COUNTS[coder]
    plot = coder_day(run.charts, run.scenario, run.coder_days, coder=coder, day=0, activities=run.activities)
    assert plot.drawn and plot.reading == life.caption
    assert int(re.search(r"sent (\d+) physician quer", plot.reading)[1]) == row["queries_sent"]
    assert int(re.search(r"coded (\d+) chart", plot.reading)[1]) == row["charts_coded"]
    assert int(re.search(r"answered (\d+) billing question", plot.reading)[1]) == row["interruptions"]
    assert f"took {row['break_minutes']:.0f} minutes of breaks" in plot.reading
    assert "differs" not in plot.reading
    if coder == 1:
        assert "4 minutes after the end of shift (09:50)" in plot.reading
    else:
        assert "no time after the end of shift" in plot.reading


def _check_day(life, row: pd.Series) -> None:
    """Every minute from login to logout is chart work, a break, a question or idle, as coder_days.csv says."""
    w = life.work
    charts, breaks, questions = life.part(*CHART_PARTS), life.part(BREAK), life.part(QUESTION)
    eps = 1e-6
    assert (w["start"] >= life.login - eps).all() and (w["end"] <= life.logout + eps).all()
    # chart work and breaks never overlap: one thing at a time
    busy = pd.concat([charts, breaks]).sort_values("start")
    assert (busy["start"].to_numpy()[1:] >= busy["end"].to_numpy()[:-1] - eps).all(), busy
    # a question lies wholly inside one chart interval (it lengthened it) or outside all work
    inside = pd.Series(False, index=questions.index)
    for i, q in questions.iterrows():
        hit = charts.loc[(charts["start"] < q["end"] - eps) & (charts["end"] > q["start"] + eps)]
        assert len(hit) <= 1
        if len(hit):
            assert hit["start"].iloc[0] <= q["start"] + eps and q["end"] <= hit["end"].iloc[0] + eps
            inside[i] = True
        assert not ((breaks["start"] < q["end"] - eps) & (breaks["end"] > q["start"] + eps)).any()
    outside = questions.loc[~inside]
    assert (outside["start"].to_numpy()[1:] >= outside["end"].to_numpy()[:-1] - eps).all()
    # the totals of each category are coder_days.csv's
    work_minutes = charts["minutes"].sum() - questions.loc[inside, "minutes"].sum()
    assert work_minutes == pytest.approx(row["coding_minutes"] + row["query_minutes"], abs=1e-6)
    assert breaks["minutes"].sum() == pytest.approx(row["break_minutes"], abs=1e-6)
    assert questions["minutes"].sum() == pytest.approx(row["interrupted_minutes"], abs=1e-6)
    assert len(questions) == row["interruptions"]
    idle = (life.logout - life.login) - charts["minutes"].sum() - breaks["minutes"].sum() - outside["minutes"].sum()
    assert idle == pytest.approx(row["idle_minutes"], abs=1e-6)
    assert life.logout - life.login == pytest.approx(row["paid_minutes"], abs=1e-6)
    assert max(0.0, life.logout - life.shift_end) == pytest.approx(row["after_shift_minutes"], abs=1e-6)
    # what is drawn is what the table counts
    assert life.drawn_counts == pytest.approx({k: float(row[k]) for k in life.drawn_counts})


@pytest.mark.parametrize("coder", [0, 1])
def test_hand_day_accounts_for_every_minute(hand_folder: Path, coder: int) -> None:
    life, run = _life(hand_folder, coder=coder, day=0)
    _check_day(life, _row(run, life))


def test_every_random_coder_day_accounts_for_every_minute(random_folder: Path) -> None:
    run = load_run(random_folder)
    assert run.activities is not None
    checked = cross = 0
    for (rep, coder, day), row in run.coder_days.groupby(["replication", "coder", "day"]):
        life = day_in_the_life(run.charts, run.scenario, run.coder_days, run.activities, "base", rep, coder, day)
        _check_day(life, row.iloc[0])
        sent = int(re.search(r"sent (\d+) physician quer", life.caption)[1])
        assert sent == row["queries_sent"].iloc[0]
        checked += 1
    charts = run.charts
    cross = int((charts["started_by"] != charts["coder"]).sum())
    assert checked == len(run.coder_days) and cross > 0  # some queried charts were finished by another coder
    assert (run.coder_days["after_shift_minutes"] > 0).any() and (run.coder_days["interruptions"] > 0).any()


def test_default_day_is_after_the_warm_up(random_folder: Path) -> None:
    run = load_run(random_folder)
    cd = run.coder_days.assign(warmup=run.coder_days["day"] < 3)
    life = day_in_the_life(run.charts, run.scenario, cd, run.activities)
    assert (life.replication, life.coder) == (0, 0)
    assert life.day == cd.loc[(cd["coder"] == 0) & ~cd["warmup"], "day"].min()
    assert (life.work["start"] // DAY == life.day).all()


def test_without_activities_breaks_are_not_drawn_and_the_caption_says_so(hand_folder: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for f in hand_folder.iterdir():
        if f.name != "activities.csv":
            (old / f.name).write_bytes(f.read_bytes())
    run = load_run(old)
    assert run.activities is None
    life = day_in_the_life(run.charts, run.scenario, run.coder_days, None, coder=1, day=0)
    assert set(life.work["kind"]) <= set(CHART_PARTS)
    plot = coder_day(run.charts, run.scenario, run.coder_days, coder=1, day=0)
    assert plot.drawn and "no activities.csv" in plot.reading
    # the counts are still coder_days.csv's; only the drawing lacks the breaks and questions
    assert "sent 0 physician queries, answered 2 billing questions and took 15 minutes of breaks" in plot.reading
    assert "differs" not in plot.reading


def test_report_figure_reads_activities(hand_folder: Path) -> None:
    from sim.report import plots_for

    (gantt,) = [p for p in plots_for(load_run(hand_folder)) if p.key == "gantt"]
    assert gantt.drawn and "no activities.csv" not in gantt.reading
    assert "sent 1 physician query" in gantt.reading and "took 15 minutes of breaks" in gantt.reading
