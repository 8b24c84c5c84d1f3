"""``chartsim plan``: the cheapest plan that meets the targets, decided statistically.

The department here has a known answer: two teams (inpatient-only and
outpatient-only) and a share of outpatient charts sent to a vendor, 27 plans.
Brute force — every plan simulated with many replications — says which plan
is the cheapest feasible one; ``plan`` must find it (or one within the
indifference zone) from several seeds, its claim must hold on fresh
replications, and its answer must not depend on the worker count.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sim.analysis.plan import _simulate, build_plans, find_plan, judge, plan_base
from sim.analysis.targets import Target
from sim.runs.executor import Inline
from sim.scenario.config import parse_scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.levers import Lever, LeverError, levers_of, parse_option, parse_values

TWO_TEAMS = {
    "name": "two_teams",
    "days": 21,
    "warmup_days": 7,
    "chart_types": {"inpatient": {"coding_time": {"dist": "uniform", "low": 15, "high": 20}},
                    "outpatient": {"coding_time": {"dist": "uniform", "low": 5, "high": 10}}},
    "arrivals": {"daily": {
        "inpatient": {"count": {"dist": "poisson", "mean": 20}, "weekday_factor": {"sat": 0, "sun": 0}},
        "outpatient": {"count": {"dist": "poisson", "mean": 75}, "weekday_factor": {"sat": 0, "sun": 0}},
    }},
    "coders": {"count": 0, "teams": {
        "inpatient": {"count": 2, "level": "experienced", "skills": ["inpatient"]},
        "outpatient": {"count": 2, "level": "entry", "skills": ["outpatient"]},
    }},
    "shift": {"start": "08:00", "end": "12:00"},
    "outsourcing": {"share": {"outpatient": 0.0}, "fee_per_chart": {"outpatient": 3.0},
                    "turnaround": {"dist": "uniform", "low": 0.5, "high": 1.5, "unit": "days"}},
    "costs": {"hire_cost": 5200, "hire_horizon_years": 1},
    "levers": {
        "coders.teams.inpatient.count": "1..3",
        "coders.teams.outpatient.count": "1..3",
        "outsourcing.share.outpatient": [0, 0.25, 0.5],
    },
}
TARGETS = [Target("turnaround_p95_days", "<=", 2.0)]
CONFIDENCE = 0.9


@pytest.fixture(scope="module")
def scenario():
    return parse_scenario(TWO_TEAMS)


@pytest.fixture(scope="module")
def levers(scenario):
    return levers_of(scenario.levers, [])


@pytest.fixture(scope="module")
def brute_force(scenario, levers):
    """Every plan with 40 replications of its own seed: the cheapest plan whose bound meets every target."""
    plans, invalid = build_plans(plan_base(scenario), levers, "total_cost", seed=4242)
    assert not invalid and len(plans) == 27
    _simulate(plans, 40, Inline(), None, "brute force")
    feasible = [p for p in plans if all(judge(p.column(t.metric), t, CONFIDENCE).status == "yes" for t in TARGETS)]
    assert feasible and len(feasible) < len(plans)
    best = min(feasible, key=lambda p: np.mean(p.values))
    return {p.name: p for p in plans}, best


SEEDS = (1, 2, 3, 4)
# The tests that read the brute force and the searches (module fixtures, half a minute each) run in one
# xdist worker, which computes them once; spread over workers, each worker would compute them again.
BRUTE_FORCE = pytest.mark.xdist_group("plan_brute_force")


@pytest.fixture(scope="module")
def searches(scenario, levers):
    """``plan`` run from several seeds."""
    return {seed: find_plan(scenario, levers, TARGETS, confidence=CONFIDENCE, seed=seed) for seed in SEEDS}


@BRUTE_FORCE
@pytest.mark.parametrize("seed", SEEDS)
def test_plan_finds_the_brute_force_cheapest_feasible_plan(brute_force, searches, seed):
    plans, best = brute_force
    search = searches[seed]
    assert search.chosen is not None
    truth = np.mean(best.values)
    got = np.mean(plans[search.chosen.name].values)  # the chosen plan's cost by brute force
    assert search.chosen.name == best.name or abs(got - truth) <= search.delta, (search.chosen.name, best.name)
    assert search.total_reps >= 27 * 10


@BRUTE_FORCE
def test_the_optimiser_on_a_grid_too_large_to_enumerate_finds_it_too(scenario, levers, brute_force):
    """With enumeration capped below the grid, Optuna proposes 24 plans from the analytic estimate; the answer,
    still decided by bounds and KN++ on their replications, is the brute-force one or within the zone."""
    plans, best = brute_force
    search = find_plan(scenario, levers, TARGETS, confidence=CONFIDENCE, seed=1, enumerate_max=10, trials=24)
    assert search.chosen is not None and len(search.plans) < 27
    assert any("optimiser" in n for n in search.notes)
    got = np.mean(plans[search.chosen.name].values)
    assert search.chosen.name == best.name or abs(got - np.mean(best.values)) <= search.delta


@BRUTE_FORCE
def test_the_chosen_plan_meets_each_target_on_fresh_replications(scenario, searches):
    """The confidence claim: across independent searches, the chosen plan's mean, re-estimated from 40 fresh
    replications, meets each target in at least the stated share of the searches (here every one of 4)."""
    met = []
    for seed, search in searches.items():
        fresh, _ = build_plans(plan_base(scenario), [Lever(p, (v,)) for p, v in search.chosen.levers.items()],
                               "total_cost", seed=10_000 + seed)
        _simulate(fresh, 40, Inline(), None, "fresh")
        met.append(all(t.met(fresh[0].column(t.metric).mean()) for t in TARGETS))
    assert sum(met) / len(met) >= CONFIDENCE


def test_nothing_feasible_names_the_binding_target_and_the_lever_to_widen(scenario):
    levers = levers_of({}, ["coders.teams.outpatient.count=1..2", "outsourcing.share.outpatient=[0, 0.25]"])
    search = find_plan(scenario, levers, [Target("turnaround_p95_days", "<=", 1.0)], confidence=CONFIDENCE)
    assert search.chosen is None
    assert "turnaround_p95_days <= 1 binds" in search.shortfall
    assert "widen" in search.shortfall


@BRUTE_FORCE
def test_hires_cost_only_coders_beyond_todays_staff(scenario, brute_force):
    plans, _ = brute_force
    one = plans["coders.teams.inpatient.count=2, coders.teams.outpatient.count=2, outsourcing.share.outpatient=0"]
    more = plans["coders.teams.inpatient.count=2, coders.teams.outpatient.count=3, outsourcing.share.outpatient=0"]
    assert (one.column("hire_cost_per_day") == 0).all()
    assert np.allclose(more.column("hire_cost_per_day"), 5200 / 260)


# ---------------------------------------------------------------- the command


def _plan(path, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "sim", "plan", str(path), "--target", "turnaround_p95_days <= 2", "--out", str(out),
         "--lever", "coders.teams.inpatient.count=2..3", "--lever", "coders.teams.outpatient.count=[1, 2]", *extra],
        capture_output=True, text=True)


@pytest.mark.parametrize("search", [[], ["--enumerate", "5", "--trials", "8"]], ids=["enumerated", "optimised"])
def test_same_plan_json_whatever_the_worker_count(write_scenario, tmp_path, search):
    path = write_scenario(TWO_TEAMS)
    one = _plan(path, tmp_path / "w1", "--workers", "1", *search)
    two = _plan(path, tmp_path / "w2", "--workers", "2", *search)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    for name in ("plan.json", "plans.csv", "plan_replications.csv"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name
    answer = json.loads((tmp_path / "w1" / "plan.json").read_text())
    assert set(answer) >= {"chosen", "headcount", "targets", "objective", "reps", "runner_up"}
    assert set(answer["targets"][0]) == {"metric", "op", "threshold", "mean", "bound", "p_met", "met"}
    assert set(answer["objective"]) >= {"metric", "mean", "ci_low", "ci_high"}
    assert answer["headcount"]["inpatient"] == answer["chosen"]["coders.teams.inpatient.count"]
    header = (tmp_path / "w1" / "plans.csv").read_text().splitlines()[0].replace('"', "").split(",")
    assert header == ["coders.teams.inpatient.count", "coders.teams.outpatient.count", "outsourcing.share.outpatient",
                      "objective_mean", "objective_ci_low", "objective_ci_high", "turnaround_p95_days_mean",
                      "turnaround_p95_days_bound", "feasible", "reps"]
    html = (tmp_path / "w1" / "plan.html").read_text()
    assert "frontier" in html and "data:image/png;base64," in html
    assert "cheapest plan:" in one.stdout and "coders" in one.stdout


def test_two_targets_on_one_metric_each_keep_their_bound_in_plans_csv(write_scenario, tmp_path):
    """``<=`` and ``>=`` on the same metric: plans.csv keeps both bounds (the upper and the lower), as plan.json."""
    import pandas as pd
    from typer.testing import CliRunner

    from sim.cli.app import app

    path = write_scenario(TWO_TEAMS)
    out = tmp_path / "o"
    result = CliRunner().invoke(app, [
        "plan", str(path), "--target", "turnaround_p95_days <= 2", "--target", "turnaround_p95_days >= 0.1",
        "--lever", "coders.teams.inpatient.count=2..3", "--lever", "coders.teams.outpatient.count=[1, 2]",
        "--max-reps", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "plans.csv")
    metric = "turnaround_p95_days"
    assert [c for c in table.columns if c.startswith(metric)] == [f"{metric}_mean", f"{metric}_bound",
                                                                  f"{metric}_bound_ge"]
    assert (table[f"{metric}_bound_ge"] < table[f"{metric}_mean"]).all()  # the lower bound, for >=
    assert (table[f"{metric}_mean"] < table[f"{metric}_bound"]).all()  # the upper bound, for <=
    answer = json.loads((out / "plan.json").read_text())
    row = table.loc[(table[list(answer["chosen"])] == pd.Series(answer["chosen"])).all(axis=1)].iloc[0]
    upper, lower = answer["targets"]
    assert (upper["op"], lower["op"]) == ("<=", ">=")
    assert row[f"{metric}_bound"] == pytest.approx(upper["bound"])
    assert row[f"{metric}_bound_ge"] == pytest.approx(lower["bound"])


def test_plan_columns_per_target():
    """One target per metric keeps the plain names; a second on the same metric is named by its operator."""
    from sim.analysis.plan import target_columns

    one = [Target("turnaround_p95_days", "<=", 3), Target("backlog_end", ">=", 0)]
    assert target_columns(one) == [("turnaround_p95_days_mean", "turnaround_p95_days_bound"),
                                   ("backlog_end_mean", "backlog_end_bound")]
    both = [Target("share_within_target", ">=", 0.8), Target("share_within_target", "<=", 0.99)]
    assert target_columns(both) == [("share_within_target_mean", "share_within_target_bound"),
                                    ("share_within_target_mean", "share_within_target_bound_le")]
    same = [Target("backlog_end", "<=", 5), Target("backlog_end", "<=", 9)]  # the same upper bound, shared
    assert target_columns(same) == [("backlog_end_mean", "backlog_end_bound")] * 2


def test_plan_page_shows_every_target_column_in_its_metrics_units():
    """plan.html and the page format a second target's own bound (``_bound_le``) as the metric, like the first."""
    from types import SimpleNamespace

    from sim.report.plan import cell
    from sim.runs.registry import fmt

    targets = [Target("share_within_target", ">=", 0.8), Target("share_within_target", "<=", 0.99)]
    search = SimpleNamespace(objective="total_cost", targets=targets)
    for column in ("share_within_target_mean", "share_within_target_bound", "share_within_target_bound_le"):
        assert cell(0.912, column, search) == fmt(0.912, "share_within_target") != "0.912", column
    assert cell(0.912, "coders.count", search) == "0.912"


def test_no_feasible_plan_exits_1_with_the_files_written(write_scenario, tmp_path):
    path = write_scenario(TWO_TEAMS)
    p = subprocess.run(
        [sys.executable, "-m", "sim", "plan", str(path), "--target", "turnaround_p95_days <= 0.2",
         "--out", str(tmp_path / "o"), "--lever", "coders.teams.outpatient.count=1..2",
         "--lever", "coders.teams.inpatient.count=[2]"],
        capture_output=True, text=True)
    assert p.returncode == 1, p.stderr
    assert "binds" in p.stdout and "widen" in p.stdout
    answer = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert answer["chosen"] is None and "binds" in answer["shortfall"]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--lever", "coders.teams.nobody.count=1..2"], "'nobody' is not a setting"),
        (["--lever", "coders.count"], "expected PATH=VALUES"),
        (["--lever", "coders.count=3..1"], "is empty"),
        (["--minimize", "no_such_metric"], "unknown metric 'no_such_metric'"),
        (["--target", "dnfb_days <= 3"], "unknown metric 'dnfb_days'"),
    ],
)
def test_bad_plan_input_exits_2_in_one_line_writing_nothing(write_scenario, tmp_path, extra, words):
    path = write_scenario(TWO_TEAMS)
    args = [sys.executable, "-m", "sim", "plan", str(path), "--out", str(tmp_path / "o")]
    if "--target" not in extra:
        args += ["--target", "turnaround_p95_days <= 2"]
    p = subprocess.run([*args, *extra], capture_output=True, text=True)
    assert p.returncode == 2 and words in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- levers


def test_lever_values():
    assert parse_values("a", "1..4") == (1, 2, 3, 4)
    assert parse_values("a", "0..1 by 0.25") == (0, 0.25, 0.5, 0.75, 1.0)
    assert parse_values("a", "0..60 by 30") == (0, 30, 60)
    assert parse_values("a", [0, 0.25, 0.5]) == (0, 0.25, 0.5)
    assert parse_values("a", "[entry, experienced]") == ("entry", "experienced")
    assert parse_option("overtime.minutes=0,30,60") == ("overtime.minutes", (0, 30, 60))
    for bad, words in [("0.5..1", "needs a step"), ("x", "expected a range"), ([], "empty"), ([1, 1], "repeated"),
                       ("1..1000", "at most")]:
        with pytest.raises(LeverError, match=words):
            parse_values("a", bad)


def test_levers_section_is_validated_with_the_scenario():
    with pytest.raises(ScenarioError, match="levers.coders.count: expected a range"):
        parse_scenario({**TWO_TEAMS, "levers": {"coders.count": "lots"}})
    assert levers_of({"coders.count": "1..2"}, ["coders.count=[5]"]) == [Lever("coders.count", (5,))]
    assert math.prod(len(v.values) for v in levers_of(TWO_TEAMS["levers"], [])) == 27


def test_interrupted_plan_resumed_decides_as_one_never_interrupted(write_scenario, tmp_path, monkeypatch):
    """Ctrl-C after five batches are saved; --resume replays them when the search asks again and simulates
    the rest, so every file matches a plan never interrupted (resumed on another worker count)."""
    from typer.testing import CliRunner

    from sim.analysis.plan_resume import CHECKPOINT, PlanJournal
    from sim.cli.app import app

    path = write_scenario(TWO_TEAMS)
    args = ["plan", str(path), "--target", "turnaround_p95_days <= 2", "--lever", "coders.teams.inpatient.count=2..3",
            "--lever", "coders.teams.outpatient.count=[1, 2]"]
    whole = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    save, calls = PlanJournal.__call__, {"n": 0}

    def interrupted(self, plan, first, table):
        if calls["n"] == 5:
            raise KeyboardInterrupt
        calls["n"] += 1
        save(self, plan, first, table)

    with monkeypatch.context() as m:
        m.setattr(PlanJournal, "__call__", interrupted)
        stopped = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert stopped.exit_code == 130 and "--resume" in stopped.output
    partial = tmp_path / "run.partial"
    assert partial.is_dir() and not (tmp_path / "run").exists()
    resumed = CliRunner().invoke(app, ["plan", str(path), "--resume", str(partial), "--workers", "2"])
    assert resumed.exit_code == 0, resumed.output
    assert not partial.exists() and not (tmp_path / "run" / CHECKPOINT).exists()
    for name in ("plan.json", "plans.csv", "plan_replications.csv"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_same_plan_json_on_a_dask_cluster(write_scenario, tmp_path):
    from distributed import LocalCluster
    from typer.testing import CliRunner

    from sim.cli.app import app

    path = write_scenario(TWO_TEAMS)
    args = ["plan", str(path), "--target", "turnaround_p95_days <= 2", "--lever", "coders.teams.inpatient.count=[2]",
            "--lever", "coders.teams.outpatient.count=[1, 2]"]
    local = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "dask"), "--dask", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    for name in ("plan.json", "plans.csv", "plan_replications.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
