"""What ``chartsim plan`` writes: plan.json (the answer) and plans.csv (every plan); plan.html is sim.report.plan.

``plan.json`` holds the chosen levers, the headcount, each target judged on
the chosen plan's replications, the objective with its interval, the
replications used in all and the runner-up with the reason it lost.
``plans.csv`` has one row per plan evaluated; ``frontier`` picks the plans
no other beats on cost and the first target. No file holds a wall-clock time, so the same
scenario and seed give the same files whatever the worker count.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.plan import CI_LEVEL, Candidate, PlanSearch, interval
from sim.runs.registry import fmt
from sim.runs.write import write_scenario, write_table
from sim.scenario.economics import team_counts


def _plain(x: Any) -> Any:
    """JSON-safe: numpy scalars as Python numbers, NaN as null."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def headcount(plan: Candidate) -> dict[str, int]:
    """Coders in each team of the plan ('coders' = the main team)."""
    return team_counts(plan.scenario)


def objective(search: PlanSearch, plan: Candidate) -> dict[str, Any]:
    mean, low, high = interval(np.asarray(plan.values))
    return {"metric": search.objective, "mean": mean, "ci_low": low, "ci_high": high, "ci_level": CI_LEVEL}


def answer(search: PlanSearch) -> dict[str, Any]:
    """The content of plan.json."""
    chosen = search.chosen
    out: dict[str, Any] = {
        "scenario": search.scenario.name,
        "chosen": dict(chosen.levers) if chosen else None,
        "headcount": headcount(chosen) if chosen else None,
        "targets": [j.as_dict() for j in search.judged(chosen)] if chosen else [],
        "objective": objective(search, chosen) if chosen else {"metric": search.objective, "mean": None,
                                                               "ci_low": None, "ci_high": None, "ci_level": CI_LEVEL},
        "reps": search.total_reps,
        "runner_up": ({"levers": dict(search.runner_up.levers), "why": search.runner_up_reason}
                      if search.runner_up is not None else None),
        "chosen_reps": chosen.reps if chosen else None,
        "confidence": search.confidence,
        "alpha": search.alpha,
        "delta": search.delta,
        "seed": search.seed,
        "screening_reps": search.reps,
        "max_reps": search.max_reps,
        "levers": {lever.path: list(lever.values) for lever in search.levers},
        "plans_evaluated": len(search.plans),
        "invalid_plans": search.invalid,
        "staff_now": dict(search.scenario.costs.staff_now) if search.scenario.costs else {},
        "shortfall": search.shortfall or None,
        "stopped_by_budget": search.stopped_by_budget,
        "notes": search.notes,
        "method": (f"every plan screened on {search.reps} replications with common random numbers; a target is met "
                   f"when its one-sided {search.confidence:.0%} confidence bound meets it; the cheapest plans not "
                   f"ruled out get more replications until feasible or ruled out (at most {search.max_reps}); KN++ "
                   f"(indifference zone {search.delta:.4g}, P(correct) ≥ {1 - search.alpha:.0%}) among the "
                   "feasible ones"),
    }
    return _plain(out)


def sentence(search: PlanSearch) -> str:
    """The console's answer in one sentence, with headcount and cost."""
    chosen = search.chosen
    if chosen is None:
        return f"no plan in the levers' ranges meets every target: {search.shortfall}"
    teams = headcount(chosen)
    total = sum(teams.values())
    crew = " + ".join(f"{n} {team}" for team, n in teams.items() if n) + f" = {total} coders" if len(teams) > 1 \
        else f"{total} coders"
    o = objective(search, chosen)
    levers = ", ".join(f"{p} = {v}" for p, v in chosen.levers.items())
    cost = fmt(o["mean"], search.objective)
    unit = " per working day" if search.objective in ("total_cost", "vendor_fees") or \
        search.objective.endswith("_per_day") else ""
    met = "; ".join(f"{j.target} (bound {fmt(j.bound, j.target.metric)})" for j in search.judged(chosen))
    return (f"cheapest plan: {levers} — {crew}, {search.objective} {cost}{unit} "
            f"({CI_LEVEL:.0%} CI {fmt(o['ci_low'], search.objective)}–{fmt(o['ci_high'], search.objective)}); "
            f"meets {met} with {search.confidence:.0%} confidence")


def frontier(table: pd.DataFrame, metric: str, op: str) -> pd.DataFrame:
    """The plans no other plan beats on both the objective and ``metric`` (lower cost; lower or higher metric)."""
    sign = 1.0 if op == "<=" else -1.0
    ordered = table.sort_values(["objective_mean", f"{metric}_mean"], ascending=[True, op == "<="], kind="stable")
    keep, best = [], math.inf
    for i, row in ordered.iterrows():
        y = sign * row[f"{metric}_mean"]
        if y < best:
            keep.append(i)
            best = y
    return ordered.loc[keep]


def write_plan_files(search: PlanSearch, folder: Path) -> None:
    """plan.json, plans.csv, plan_replications.csv and scenario.yaml into an existing folder."""
    table = search.table()
    write_table(table, folder / "plans.csv")
    reps = pd.concat([p.replications().assign(plan=p.name) for p in search.plans], ignore_index=True)
    write_table(reps[["plan", *[c for c in reps.columns if c != "plan"]]], folder / "plan_replications.csv")
    (folder / "plan.json").write_text(json.dumps(answer(search), indent=2, ensure_ascii=False) + "\n")
    write_scenario(search.scenario, folder / "scenario.yaml")
