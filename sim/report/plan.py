"""plan.html: the answer of ``chartsim plan``, its cost–turnaround frontier and the plans on it.

Draws the objective against the first target's metric for every plan
evaluated (feasible, unclear, infeasible), the frontier of plans no other
beats on both, the target line and the chosen plan. It renders the search
already done (sim.analysis.plan); it never simulates.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.plan import PlanSearch
from sim.analysis.plan_output import answer, frontier, sentence
from sim.report.figures import new_figure, text, to_png
from sim.runs.registry import fmt, lookup


def write_plan_html(search: PlanSearch, folder: Path) -> Path:
    """Write plan.html into an existing folder (next to plans.csv and plan.json); return its path."""
    path = folder / "plan.html"
    path.write_text(render_html(search, search.table()))
    return path


def figure_png(search: PlanSearch, table: pd.DataFrame) -> str:
    """The cost–turnaround frontier as base64 PNG."""
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
        "<tr>" + "".join(f"<td>{e(cell(row[c], c, search))}</td>" for c in shown) + "</tr>"
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


def cell(x: Any, column: str, search: PlanSearch) -> str:
    """A plans.csv value as the page and plan.html show it (objective and targets in their units)."""
    if isinstance(x, float):
        if column.startswith("objective_"):
            return fmt(x, search.objective)
        metric = re.sub(r"_(mean|bound(_ge|_le)?)$", "", column)  # sim.analysis.plan.target_columns
        return fmt(x, metric) if metric in {t.metric for t in search.targets} else f"{x:g}"
    return str(x)
