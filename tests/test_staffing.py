"""``chartsim staff``: analytic cases with known answers, the decision rules, bad what-ifs."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.analysis.estimate import workload
from sim.analysis.staffing import STAFFING_COLUMNS, _search, search
from sim.analysis.targets import Target, known_metrics, parse_coders, parse_target
from sim.cli.app import app
from sim.scenario.config import parse_scenario
from sim.scenario.errors import ScenarioError
from sim.stats.summary import min_reps_for_probability, wilson
from tests.conftest import SCENARIOS

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def fixed_department(daily: int = 100, minutes: float = 12, others: dict | None = None) -> dict:
    """Deterministic: fixed coding time and daily volume, no queries, breaks or billing questions.

    Shift 08:00–16:30 less a 30-minute lunch: 480 productive minutes per coder-day, every day.
    """
    return {
        "name": "fixed",
        "days": 14,
        "target_days": 1,
        "chart_types": {"chart": {"coding_time": {"dist": "fixed", "value": minutes}}},
        "arrivals": {"daily": {"chart": {"count": {"dist": "fixed", "value": daily}}}},
        "coders": {"count": 1, "teams": others or {}},
        "shift": {"start": "08:00", "end": "16:30", "workdays": ALL_WEEK},
        "breaks": [{"at": "12:00", "minutes": 30, "name": "lunch"}],
        "interruptions": {"per_day": 0},
    }


def staff(args: list[str]):
    return CliRunner().invoke(app, ["staff", *args])


def said(result) -> str:
    """The command's output with line breaks undone (the console wraps paragraphs at 80 columns)."""
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("rule", ["bound", "probability"])
def test_staff_finds_the_analytic_answer_on_a_deterministic_department(rule: str, write_scenario, tmp_path: Path) -> None:
    """100 charts × 12 min = 1200 min a day ÷ 480 min per coder = 2.5 → 3 coders.

    With 3 every chart is coded the day it arrives (share within one day = 1);
    with 2 only 80 of 100 are, the queue grows and later charts wait past a day.
    """
    path = write_scenario(fixed_department())
    out = tmp_path / "staff"
    result = staff([str(path), "--target", "share_within_target >= 1", "--coders", "1..10", "--rule", rule,
                    "--confidence", "0.8", "--reps", "16", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "= 2.50 → at least 3 coders" in said(result)
    assert "simulated answer: 3 main-team coders" in said(result)
    assert f"rule — {rule}" in said(result)
    curve = pd.read_csv(out / "staffing.csv")
    assert list(curve.columns) == STAFFING_COLUMNS
    at = curve.set_index("coders")
    assert at.loc[3, "met"] and not at.loc[2, "met"]
    # deterministic: every replication is identical, so the interval has no width
    assert at.loc[3, "mean"] == 1 and at.loc[3, "ci_low"] == at.loc[3, "ci_high"] == 1
    assert at.loc[3, "p_met"] == 1 and at.loc[2, "p_met"] == 0
    meta = json.loads((out / "staffing.json").read_text())
    assert meta["answer"] == 3 and meta["rule"] == rule


def test_other_teams_count_towards_the_work(write_scenario, tmp_path: Path) -> None:
    """A fixed specialist at speed 2 does 960 of the 1200 minutes: one main-team coder is enough, none is not."""
    others = {"fast": {"count": 1, "speed": 2.0}}
    path = write_scenario(fixed_department(others=others))
    out = tmp_path / "staff"
    result = staff([str(path), "--target", "backlog_end <= 0", "--coders", "0..5", "--reps", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "= 0.50 → at least 1 coders" in said(result)
    assert "simulated answer: 1 main-team coders — headcount 1 main team + 1 fast = 2 coders" in said(result)
    at = pd.read_csv(out / "staffing.csv").set_index("coders")
    assert at.loc[0, "mean"] == 14 * (100 - 80)  # the specialist alone falls 20 charts behind a day
    assert at.loc[0, "total_coders"] == 1 and at.loc[1, "total_coders"] == 2
    meta = json.loads((out / "staffing.json").read_text())
    assert meta["fixed_teams"] == {"fast": 1}
    assert meta["answer"] == 1 and meta["answer_total_coders"] == 2
    assert meta["answer_headcount"] == "1 main team + 1 fast = 2 coders"


def test_staff_output_states_the_real_interval_level(write_scenario, tmp_path: Path) -> None:
    """--confidence 0.8 decides on one-sided 80 % bounds: the two-sided interval shown is 60 %, not "95 % CI"."""
    path = write_scenario(fixed_department(others={"fast": {"count": 2, "speed": 0.5}}))
    out = tmp_path / "staff"
    result = staff([str(path), "--target", "backlog_end <= 0", "--coders", "1..4", "--confidence", "0.8",
                    "--reps", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    text = said(result)
    assert "60% CI" in text and "60% two-sided t interval of the mean" in text and "one-sided 80% bound" in text
    assert "95% CI" not in text and "80% CI" not in text
    assert "in all = main team + fixed teams (fast 2)" in text
    curve = pd.read_csv(out / "staffing.csv")
    assert curve["ci_level"].to_numpy() == pytest.approx(0.6)
    assert (curve["total_coders"] == curve["coders"] + 2).all()
    meta = json.loads((out / "staffing.json").read_text())
    assert meta["ci_level_two_sided"] == pytest.approx(0.6) and "60% two-sided" in meta["ci_text"]
    assert meta["answer_headcount"].endswith(f"= {meta['answer_total_coders']} coders")


# ---------------------------------------------------------------- targets no count in the range meets


def slow_queries(days: int = 7) -> dict:
    """A third of the charts wait 3 days for a physician: the 95th-percentile turnaround cannot drop to 2 days."""
    data = fixed_department(daily=60, minutes=10)
    data.update(days=days, name="slow queries")
    data["chart_types"]["chart"]["query"] = {"probability": 0.3}
    data["queries"] = {"answer_delay": {"dist": "fixed", "value": 3, "unit": "days"}}
    return data


def test_flat_curve_says_more_coders_will_not_fix_it_and_names_the_bound() -> None:
    result = search(parse_scenario(slow_queries()), Target("turnaround_p95_days", "<=", 2), (1, 6), reps=3)
    assert result.answer is None
    short = result.shortfall()
    assert short is not None and short.kind == "flat", short
    assert "more coders will not meet" in short.text
    assert "physician's answer to a query (mean 3.0 days)" in short.text
    assert "widen --coders" not in short.text
    assert {5, 6} <= set(result.points)  # the slope is measured on the top step of the range


def test_curve_still_improving_at_the_top_suggests_widening_the_range() -> None:
    """Three coders are needed (2.5 by workload); searching only 1..2 falls short while still improving."""
    result = search(parse_scenario(fixed_department()), Target("backlog_end", "<=", 0), (1, 2), reps=2)
    assert result.answer is None
    short = result.shortfall()
    assert short is not None and short.kind == "improving", short
    assert "widen --coders" in short.text and "will not" not in short.text
    assert short.more_coders is not None and short.more_coders >= 1


def test_unreachable_target_is_said_plainly_by_the_command(write_scenario, tmp_path: Path) -> None:
    path = write_scenario(slow_queries())
    out = tmp_path / "staff"
    result = staff([str(path), "--target", "turnaround_p95_days <= 2", "--coders", "1..5", "--reps", "3",
                    "--out", str(out)])
    assert result.exit_code == 1, result.output + result.stderr
    text = said(result)
    assert "not met with any main team of 1..5 coders: the curve is flat" in text
    assert "more coders will not meet turnaround_p95_days <= 2" in text
    meta = json.loads((out / "staffing.json").read_text())
    assert meta["answer"] is None and meta["shortfall"]["kind"] == "flat"


def test_improving_curve_is_said_by_the_command(write_scenario, tmp_path: Path) -> None:
    path = write_scenario(fixed_department())
    out = tmp_path / "staff"
    result = staff([str(path), "--target", "backlog_end <= 0", "--coders", "1..2", "--reps", "2", "--out", str(out)])
    assert result.exit_code == 1, result.output + result.stderr
    assert "still improving at the top of the range" in said(result) and "widen --coders" in said(result)
    assert json.loads((out / "staffing.json").read_text())["shortfall"]["kind"] == "improving"


def test_n_and_n_minus_1_compare_registry_headline_metrics(write_scenario, tmp_path: Path) -> None:
    from sim.analysis.targets import shown_metrics
    from sim.runs.registry import lookup

    scenario = parse_scenario(fixed_department())
    shown = shown_metrics(scenario, "backlog_end")
    assert shown[0] == "backlog_end" and shown.count("backlog_end") == 1
    assert all(lookup(m).headline and lookup(m).better for m in shown)
    assert "cost_per_chart" in shown and "coded_chart_per_coder_day" in shown


def test_staff_matches_erlang_c_when_it_applies() -> None:
    """M/M/c (Poisson arrivals in the day, exponential times, 24-h shift): P(wait) ≤ 0.22.

    λ = 10/h, mean 20 min (a = 3.33): Erlang C gives C(5) = 0.327, C(6) = 0.148, so
    six coders; the fluid estimate says only four can keep up.
    """
    scenario = parse_scenario({
        "name": "M/M/c", "days": 10, "warmup_days": 1,
        "chart_types": {"chart": {"coding_time": {"dist": "exponential", "mean": 20}}},
        "arrivals": {"per_hour": {"chart": 10}},
        "coders": {"count": 1},
        "shift": {"start": "00:00", "end": "24:00", "workdays": ALL_WEEK},
        "breaks": [], "interruptions": {"per_day": 0},
    })
    result = search(scenario, Target("p_wait", "<=", 0.22), (1, 12), confidence=0.9, reps=8, seed=5)
    assert result.workload.minimum == 4
    assert result.erlang.coders == 6
    assert result.answer == 6
    assert result.start == 6 and set(result.points) == {5, 6}  # started at the estimate, stepped down once


def test_search_gallops_and_bisects_to_the_same_answer_as_a_linear_scan(write_scenario) -> None:
    """From a far too low start, the answer equals the smallest count met in a full scan."""
    data = fixed_department(daily=100, minutes=12)
    data["days"] = 7
    scenario = parse_scenario(data)
    target = Target("turnaround_p95_days", "<=", 0.45)
    result = search(scenario, target, (1, 20), reps=2)
    scan = {n: search(scenario, target, (n, n), reps=2).points[n].met for n in range(1, 21)}
    assert result.answer == min(n for n, ok in scan.items() if ok)
    assert len(result.points) < 20
    assert all(result.points[n].met == scan[n] for n in result.points)
    wide = search(scenario, target, (1, 20), reps=2, workers=2, width=2)  # two counts a step, on two workers
    assert wide.answer == result.answer
    assert sorted(wide.points) != sorted(result.points)  # so the check below can tell the width from the workers
    for n in set(wide.points) & set(result.points):
        pd.testing.assert_frame_equal(wide.points[n].replications, result.points[n].replications)
    # One count a step (the default) on two workers: the very counts of one process
    narrow = search(scenario, target, (1, 20), reps=2, workers=2)
    assert sorted(narrow.points) == sorted(result.points) and narrow.answer == result.answer
    for n in result.points:
        pd.testing.assert_frame_equal(narrow.points[n].replications, result.points[n].replications)


def test_staffing_rows_depend_on_probes_never_on_workers(write_scenario, tmp_path: Path) -> None:
    """chartsim staff writes the same staffing.csv with one worker or two; --probes 2 tries two counts a step."""
    data = fixed_department(daily=100, minutes=12)
    data["days"] = 7
    path = write_scenario(data)
    args = [str(path), "--target", "turnaround_p95_days <= 0.45", "--coders", "1..20", "--reps", "2"]
    tables = {}
    for name, extra in {"one": ["--workers", "1"], "two": ["--workers", "2"],
                        "probes": ["--workers", "2", "--probes", "2"]}.items():
        result = staff([*args, *extra, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        tables[name] = (tmp_path / name / "staffing.csv").read_text()
    assert tables["two"] == tables["one"]
    assert tables["probes"] != tables["one"]  # other counts tried, the same answer
    assert json.loads((tmp_path / "probes" / "staffing.json").read_text())["answer"] == json.loads(
        (tmp_path / "one" / "staffing.json").read_text())["answer"]


@pytest.mark.parametrize("width", [1, 2, 3, 5, 8])
def test_search_of_any_width_finds_the_smallest_count_that_meets(width: int) -> None:
    """Monotone targets met from every threshold in [lo, hi + 1], every start: the answer is the threshold."""
    lo, hi = 2, 23
    for threshold in range(lo, hi + 2):
        for start in range(lo, hi + 1):
            def met(counts: list[int], threshold: int = threshold) -> dict[int, bool]:
                assert all(lo <= n <= hi for n in counts) and len(counts) <= width
                return {n: n >= threshold for n in counts}

            answer = _search(met, lo, hi, start, width)
            assert answer == (threshold if threshold <= hi else None), (threshold, start)


@pytest.mark.parametrize("helps", [True, False], ids=["more-coders-help", "more-coders-hurt"])
@pytest.mark.parametrize("width", [1, 2, 3, 5, 8])
def test_search_finds_the_smallest_count_whichever_way_more_coders_move_the_target(width: int, helps: bool) -> None:
    """Met from a threshold up (more coders help) or up to it (more coders hurt): the smallest count meeting,
    whatever ``worse`` (the curve's direction as simulated) says; it only changes how many counts are tried."""
    lo, hi = 2, 23
    sign = -1 if helps else 1  # the metric is sign × count; the target is 'metric <= sign × threshold'
    worse_by = {"none": None, "truthful": lambda a, b: sign * b > sign * a,
                "always": lambda a, b: True, "never": lambda a, b: False}
    for name, worse in worse_by.items():
        for threshold in range(lo - 1, hi + 2):
            meets = [n for n in range(lo, hi + 1) if sign * n <= sign * threshold]
            for start in range(lo, hi + 1):
                def met(counts: list[int], threshold: int = threshold) -> dict[int, bool]:
                    assert all(lo <= n <= hi for n in counts) and len(counts) <= width
                    return {n: sign * n <= sign * threshold for n in counts}

                answer = _search(met, lo, hi, start, width, **({} if worse is None else {"worse": worse}))
                assert answer == (min(meets) if meets else None), (name, threshold, start)


def test_a_target_more_coders_hurt_is_found_in_few_steps() -> None:
    """When fewer coders do better, the search turns to the bottom of the range after one step from the start."""
    lo, hi = 1, 40
    for start, threshold, answer in ((20, 30, lo), (20, 10, lo), (20, 0, None), (30, 35, lo)):
        tried: list[int] = []  # met by every count up to the threshold

        def met(counts: list[int], threshold: int = threshold, tried: list[int] = tried) -> dict[int, bool]:
            tried.extend(counts)
            return {n: n <= threshold for n in counts}

        assert _search(met, lo, hi, start, 1, lambda a, b: b > a) == answer
        if answer is not None:
            assert len(tried) <= 3, tried  # the start, one step, the fewest


def test_staff_finds_the_fewest_coders_for_a_target_more_coders_hurt(write_scenario, tmp_path: Path) -> None:
    """100 charts of 12 min a day: 1 or 2 coders code 40 charts a day each, 3 share the 100 (33.3 each).

    The estimate is 3; ``charts_per_coder_day >= 40`` fails there and more coders only lower it. The
    answer is the bottom of --coders, as a scan of every count says, not "no count meets it".
    """
    scenario = parse_scenario(fixed_department())
    target = Target("charts_per_coder_day", ">=", 40)
    result = search(scenario, target, (2, 6), reps=2)
    scan = {n: search(scenario, target, (n, n), reps=2).points[n].met for n in range(2, 7)}
    assert result.start == 3 and not scan[3]
    assert result.answer == min(n for n, ok in scan.items() if ok)
    assert all(result.points[n].met == scan[n] for n in result.points)
    assert not any("not monotone" in note for note in result.notes)  # met at the bottom, then never: monotone
    path = write_scenario(fixed_department())
    out = tmp_path / "staff"
    cli = staff([str(path), "--target", str(target), "--coders", "2..6", "--reps", "2", "--out", str(out)])
    assert cli.exit_code == 0, cli.output + cli.stderr
    assert f"simulated answer: {result.answer} main-team coders" in said(cli)
    assert json.loads((out / "staffing.json").read_text())["answer"] == result.answer


def test_the_reported_department_meets_a_cost_target_with_fewer_coders_than_the_estimate() -> None:
    """The bundled department over two weeks: cost per chart rises with the main team, so a cost target met
    at three coders (its bound, measured) is met from the bottom of 2..6 up to three, below the estimate."""
    from sim.scenario.config import load_scenario

    data = yaml.safe_load((SCENARIOS / "department.yaml").read_text())
    data.update(name="small", days=14, warmup_days=0)
    scenario = load_scenario(SCENARIOS / "department.yaml").model_validate(data)
    bound = search(scenario, Target("cost_per_chart", "<=", 1e9), (3, 3), reps=3).points[3].ci_high
    target = Target("cost_per_chart", "<=", bound)
    result = search(scenario, target, (2, 6), reps=3)
    scan = {n: search(scenario, target, (n, n), reps=3).points[n].met for n in range(2, 7)}
    assert scan[3] and not scan[result.start] and result.start > 3
    assert result.answer == min(n for n, ok in scan.items() if ok)


def test_a_curve_that_moves_the_wrong_way_is_not_called_flat(write_scenario, tmp_path: Path) -> None:
    """No count meets ``charts_per_coder_day >= 45``: each coder added lowers it, and even the fewest miss."""
    scenario = parse_scenario(fixed_department())
    result = search(scenario, Target("charts_per_coder_day", ">=", 45), (2, 6), reps=2)
    assert result.answer is None and min(result.points) == 2  # the bottom of the range was tried
    short = result.shortfall()
    assert short is not None and short.kind == "worse", short
    top, below = sorted(result.points)[-1], sorted(result.points)[-2]
    fall = (result.points[below].mean - result.points[top].mean) / (top - below)
    assert fall > 0 and short.per_coder == pytest.approx(-fall)
    assert "gets worse as coders are added" in short.text and "not at all" not in short.text
    assert "flat" not in short.text and "even 2 main-team coders, the fewest in --coders, miss it" in short.text
    assert "widen --coders below 2" in short.text  # one coder might do better (here it codes 40 as well)
    path = write_scenario(fixed_department())
    out = tmp_path / "staff"
    cli = staff([str(path), "--target", "charts_per_coder_day >= 45", "--coders", "2..6", "--reps", "2",
                 "--out", str(out)])
    assert cli.exit_code == 1, cli.output + cli.stderr
    assert "not met with any main team of 2..6 coders: the curve moves the wrong way" in said(cli)
    assert json.loads((out / "staffing.json").read_text())["shortfall"]["kind"] == "worse"


def test_a_flat_curve_that_dips_says_so_rather_than_not_at_all() -> None:
    """At the top of a flat curve a small step the wrong way is reported with its size, not as no movement."""
    from dataclasses import replace

    result = search(parse_scenario(slow_queries()), Target("turnaround_p95_days", "<=", 2), (1, 6), reps=3)
    top, below = sorted(result.points)[-1], sorted(result.points)[-2]
    result.points[top] = replace(result.points[top], mean=result.points[below].mean + 0.01)
    short = result.shortfall()
    assert short is not None and short.kind == "flat" and short.per_coder == pytest.approx(-0.01)
    assert "moves the wrong way, by" in short.text and "not at all" not in short.text


def test_more_coders_never_raise_the_backlog_in_the_staffing_search() -> None:
    """On the bundled department every count the search simulates is no worse than the one below it."""
    from sim.scenario.config import load_scenario

    scenario = load_scenario(SCENARIOS / "department.yaml")
    result = search(scenario, Target("backlog_mean", "<=", 120), (0, 12), reps=3, seed=3)
    counts = sorted(result.points)
    means = [result.points[n].replications["backlog_mean"].mean() for n in counts]
    assert len(counts) >= 2
    assert all(b <= a for a, b in zip(means, means[1:])), dict(zip(counts, means))
    assert result.answer is not None and not result.points[result.answer - 1].met


def test_wilson_interval_reference_values() -> None:
    # Wilson (1927); Newcombe (1998) table: 0/10 → (0, 0.2775); 81/263 → (0.2553, 0.3662)
    low, high = wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(81, 263)
    assert (low, high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    # the fewest replications that can demonstrate P(met) ≥ 0.9: n/(n + z²) ≥ 0.9 → n ≥ 34.6
    assert min_reps_for_probability(0.9) == 35
    assert wilson(35, 35)[0] >= 0.9 > wilson(34, 34)[0]


def test_workload_of_the_bundled_department_matches_the_hand_sum() -> None:
    """The scenario file's comment: ≈3,500 min a working day (backlog included), 442 productive min."""
    from sim.scenario.config import load_scenario

    w = workload(load_scenario(SCENARIOS / "department.yaml"))
    assert w.productive_minutes == pytest.approx(510 - 60 - 2 * 4)
    assert w.other_capacity == pytest.approx((3 * 1.15 + 2 * 0.85) * 442)
    assert 3300 < w.work_per_workday < 3700


def test_parse_target_and_range() -> None:
    known = ["backlog_end", "turnaround_p95_days"]
    assert parse_target("turnaround_p95_days<=3", known) == Target("turnaround_p95_days", "<=", 3.0)
    assert parse_target(" backlog_end >= 1e2 ", known) == Target("backlog_end", ">=", 100.0)
    assert parse_coders("2..30") == (2, 30) and parse_coders("7") == (7, 7)
    for bad in ("backlog_end < 3", "backlog_end <= many", "<= 3"):
        with pytest.raises(ScenarioError, match="--target"):
            parse_target(bad, known)
    for bad in ("30..2", "2-30", "", "a..b"):
        with pytest.raises(ScenarioError, match="--coders"):
            parse_coders(bad)
    assert Target("x", "<=", 1).met(math.nan).item() is False


# ---------------------------------------------------------------- bad what-ifs: one line, exit 2


def _department_with(**changes) -> dict:
    data = yaml.safe_load((SCENARIOS / "department.yaml").read_text())
    data = copy.deepcopy(data)
    data.update(changes)
    return data


BAD = {
    "variant path that does not exist": (
        "run", _department_with(variants={"cac": {"set": {"chart_types.outpatient.coding_tme.scale": 0.7}}}),
        ["'chart_types.outpatient.coding_tme.scale' does not exist", "variants.cac"],
    ),
    "variant path into a chart type that does not exist": (
        "run", _department_with(variants={"x": {"set": {"chart_types.dental.coding_time.scale": 0.7}}}),
        ["'dental' is not a setting of chart_types"],
    ),
    "sweep with no values": (
        "run", _department_with(sweeps={"staff": {"grid": {"coders.count": []}}}),
        ["sweep over 'coders.count' has no values"],
    ),
    "target on an unknown metric": (
        "staff", _department_with(),
        ["unknown metric 'turnaround_p99_days'", "known:", "turnaround_p95_days", "cost_per_chart"],
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_what_if_gets_one_line_and_exit_2(case: str, write_scenario, tmp_path: Path) -> None:
    command, data, expected = BAD[case]
    path = write_scenario(data)
    out = tmp_path / "out"
    args = [command, str(path), "--reps", "2", "--out", str(out)]
    if command == "staff":
        args += ["--target", "turnaround_p99_days <= 3"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    for part in expected:
        assert part in message, message
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target", "backlog_end <= 3", "--coders", "9..2"], "--coders: the range 9..2 is empty"),
        (["--target", "backlog_end <= 3", "--coders", "0..4"], "--coders: 0 coders is not a valid scenario"),
        (["--target", "backlog_end <= 3", "--rule", "vote"], "--rule: must be one of bound, probability"),
        (["--target", "backlog_end <= 3", "--rule", "probability", "--reps", "10"], "at least 35 replications"),
        (["--target", "backlog_end <= 3", "--confidence", "1.5"], "--confidence: must be between 0 and 1"),
        (["--target", "backlog_end < 3"], "--target: expected 'METRIC <= VALUE'"),
    ],
)
def test_bad_staff_options_get_one_line_and_exit_2(args: list[str], expected: str, write_scenario, tmp_path: Path) -> None:
    path = write_scenario(fixed_department())
    out = tmp_path / "out"
    result = staff([str(path), "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and expected in message, message
    assert not out.exists()


def test_known_metrics_include_the_per_type_rates() -> None:
    scenario = parse_scenario(fixed_department())
    assert "coded_chart_per_coder_day" in known_metrics(scenario)
    assert "cost_per_chart" in known_metrics(scenario)


# ---------------------------------------------------------------- shrinkage and rework in the estimate


def _alone(**sections) -> dict:
    """department.yaml with the main team alone (no fixed teams), plus the given sections."""
    data = _department_with(**sections)
    data["coders"] = {k: v for k, v in data["coders"].items() if k != "teams"}
    data.pop("variants", None)
    data.pop("sweeps", None)
    return data


def test_absence_raises_the_estimate_by_one_over_one_minus_the_absent_share() -> None:
    """26 planned days of 260 (52 weeks × 5 workdays) = 0.1; then 10 % of the rest: a = 0.1 + 0.9 × 0.1 = 0.19."""
    plain = workload(parse_scenario(_alone()))
    away = workload(parse_scenario(_alone(absence={"planned_days_per_year": 26, "unplanned_probability": 0.1})))
    a = 0.1 + 0.9 * 0.1
    assert plain.absent_share == 0 and away.absent_share == pytest.approx(a)
    assert plain.other_capacity == 0 == away.other_capacity
    assert away.work_per_workday == pytest.approx(plain.work_per_workday)
    assert away.productive_minutes == pytest.approx(plain.productive_minutes * (1 - a))
    assert away.coders == pytest.approx(plain.coders / (1 - a))


def test_rework_adds_the_expected_rework_minutes_per_chart() -> None:
    """Rework per chart = error probability at the main team's level × mean rework time, summed over the charts."""
    data = _alone()
    level = parse_scenario(data).coders.level
    accuracy = {"error_probability": {"inpatient": 0.1}, "level_factor": {level: 2.0},
                "rework_time": {"dist": "uniform", "low": 10, "high": 30}}
    plain = parse_scenario(data)
    errors = parse_scenario(_alone(accuracy=accuracy))
    inpatient = plain.expected_charts().get("inpatient", 0.0)
    extra = inpatient * (0.1 * 2.0) * 20 / workload(plain).workdays
    assert extra > 0
    assert workload(errors).work_per_workday == pytest.approx(workload(plain).work_per_workday + extra)


def test_the_printed_estimate_says_absence_is_already_deducted(write_scenario, tmp_path: Path) -> None:
    data = _alone(absence={"planned_days_per_year": 26, "unplanned_probability": 0.1})
    data.update(days=7, warmup_days=0)
    result = staff([str(write_scenario(data)), "--target", "backlog_end <= 100000", "--coders", "5..6", "--reps", "2",
                    "--out", str(tmp_path / "staff")])
    assert result.exit_code == 0, result.output + result.stderr
    assert "19.0% absence already deducted" in said(result)
