"""What ``chartsim plan`` writes: plan.json (the answer), plans.csv (every plan), plan.html (the frontier).

``plan.json`` holds the chosen levers, the headcount, each target judged on
the chosen plan's replications, the objective with its interval, the
replications used in all and the runner-up with the reason it lost.
``plans.csv`` has one row per plan evaluated. ``plan.html`` draws the
cost–turnaround frontier (objective against the first target's metric) with
the plans ruled in and out. No file holds a wall-clock time, so the same
scenario and seed give the same files whatever the worker count.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.economics import team_counts
from sim.output import write_scenario, write_table
from sim.plan import CI_LEVEL, Candidate, PlanSearch, interval
from sim.registry import fmt, lookup


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


def figure_png(search: PlanSearch, table: pd.DataFrame) -> str:
    """The cost–turnaround frontier as base64 PNG (matplotlib loads only here)."""
    from sim.report.figures import new_figure, text, to_png

    target = search.targets[0]
    y = f"{target.metric}_mean"
    fig = new_figure(8, 4.6)
    ax = fig.add_subplot()
    colours = {"yes": "#3a8f4a", "unclear": "#d1762b", "no": "#9a9a9a"}
    labels = {"yes": "feasible", "unclear": "unclear", "no": "infeasible"}
    for status, colour in colours.items():
        part = table.loc[table["feasible"] == status]
        if len(part):
            ax.scatter(part["objective_mean"], part[y], s=22, color=colour, label=labels[status], zorder=2)
    front = frontier(table, target.metric, target.op)
    ax.step(front["objective_mean"], front[y], where="post", color="#1f5f8b", lw=1.4, label="frontier", zorder=1)
    ax.axhline(target.value, color="#b03a48", ls="--", lw=1, label=text(f"target {target}", 60))
    if search.chosen is not None:
        row = table.iloc[search.plans.index(search.chosen)]
        ax.scatter([row["objective_mean"]], [row[y]], s=160, marker="*", color="#b03a48", zorder=3, label="chosen")
    ax.set_xlabel(text(f"{search.objective} (mean, {lookup(search.objective).unit})", 80))
    ax.set_ylabel(text(f"{target.metric} (mean)", 80))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return to_png(fig)


def render_html(search: PlanSearch, table: pd.DataFrame) -> str:
    """plan.html: the answer, the frontier and the plans on it."""
    e = html.escape
    target = search.targets[0]
    front = frontier(table, target.metric, target.op)
    shown = [c for c in table.columns]
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(_cell(row[c], c, search))}</td>" for c in shown) + "</tr>"
        for _, row in front.iterrows())
    head = "".join(f"<th>{e(c)}</th>" for c in shown)
    runner = (f"<p><b>Runner-up:</b> {e(', '.join(f'{p} = {v}' for p, v in search.runner_up.levers.items()))} — "
              f"{e(search.runner_up_reason)}</p>" if search.runner_up is not None else "")
    notes = "".join(f"<li>{e(n)}</li>" for n in search.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cheapest plan — {e(search.scenario.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
th{{background:#f3f3f3}}img{{max-width:100%}}</style></head><body>
<h1>Cheapest plan — {e(search.scenario.name)}</h1>
<p><b>{e(sentence(search))}</b></p>
{runner}
<h2>Cost against {e(target.metric)}: the frontier</h2>
<p>Each point is a plan (mean over its replications). The frontier joins the plans no other plan beats on both
{e(search.objective)} and {e(target.metric)}; the dashed line is the target. Feasible: every target's one-sided
{search.confidence:.0%} confidence bound meets it.</p>
<img alt="cost against {e(target.metric)}" src="data:image/png;base64,{figure_png(search, table)}">
<h2>Plans on the frontier</h2>
<table><tr>{head}</tr>{rows}</table>
<p>{len(search.plans)} plans evaluated, {search.total_reps:,} replications in all (seed {search.seed}). Every plan:
plans.csv; the answer: plan.json.</p>
<p>{e(answer(search)["method"])}.</p>
{f"<ul>{notes}</ul>" if notes else ""}
</body></html>
"""


def _cell(x: Any, column: str, search: PlanSearch) -> str:
    if isinstance(x, float):
        if column.startswith("objective_"):
            return fmt(x, search.objective)
        metric = column.rsplit("_", 1)[0]
        return fmt(x, metric) if metric in {t.metric for t in search.targets} else f"{x:g}"
    return str(x)


def write_plan_files(search: PlanSearch, folder: Path) -> None:
    """plan.json, plans.csv, plan.html, plan_replications.csv and scenario.yaml into an existing folder."""
    table = search.table()
    write_table(table, folder / "plans.csv")
    reps = pd.concat([p.replications().assign(plan=p.name) for p in search.plans], ignore_index=True)
    write_table(reps[["plan", *[c for c in reps.columns if c != "plan"]]], folder / "plan_replications.csv")
    (folder / "plan.json").write_text(json.dumps(answer(search), indent=2, ensure_ascii=False) + "\n")
    (folder / "plan.html").write_text(render_html(search, table))
    write_scenario(search.scenario, folder / "scenario.yaml")
