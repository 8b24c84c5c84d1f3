"""``report.html``: one self-contained page (images inline, no network) following STRESS-DES.

All text from the scenario reaches the page through Jinja2 with autoescaping
on, so a scenario named ``<script>…`` is shown, never run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.report.figures import Plot
from sim.report.files import folder_tables
from sim.report.inputs import inputs_table
from sim.report.labels import doc, fmt, headline_names, outcome_names, unit
from sim.report.load import RunFolder
from sim.report.story import experimentation, model_logic, staffing_headcount
from sim.runs.registry import NOTES, interval

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"
PER_TABLE = 4  # variants side by side in one results table


def _environment() -> jinja2.Environment:
    import jinja2  # loaded when the page is written: after a report's child is forked (sim.report.aside)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def _questions(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, v in (scenario.get("variants") or {}).items():
        v = v or {}
        changes = [f"{path} = {value}" for path, value in (v.get("set") or {}).items()]
        out.append({"name": name, "description": v.get("description") or "", "changes": changes})
    for name, sweep in (scenario.get("sweeps") or {}).items():
        grid = (sweep or {}).get("grid") or {}
        changes = [f"{path} ∈ {values}" for path, values in grid.items()]
        out.append({"name": f"sweep {name}", "description": "one variant per combination of values", "changes": changes})
    return out


def _kinds(run: RunFolder) -> list[str]:
    return [str(k) for k in (run.scenario.get("chart_types") or {})]


def _cell(row: pd.Series, metric: str, marks: set[str] | None = None) -> str:
    """'mean [low – high]'; a bound beyond what the metric can be is clipped and marked (see sim.cli.console)."""
    mean = fmt(float(row["mean"]), metric)
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if math.isnan(low):
        return mean
    text, clipped = interval(low, high, metric)
    if marks is not None:
        marks |= clipped
    return f"{mean} [{text}]"


def _result_tables(run: RunFolder) -> list[dict[str, Any]]:
    if run.summary is None:
        return []
    s = run.summary
    metrics = [m for m in headline_names(_kinds(run)) if m in set(s["metric"])]
    variants = run.variants
    first = s.drop_duplicates(["variant", "metric"])  # a (variant, metric) pair's row, looked up once each
    found = {(str(v), str(m)): r for (_, r), v, m in zip(first.iterrows(), first["variant"], first["metric"])}
    blocks = []
    for lo in range(0, len(variants), PER_TABLE):
        chunk = variants[lo : lo + PER_TABLE]
        rows, marks = [], set()
        for metric in metrics:
            cells = []
            for v in chunk:
                r = found.get((v, metric))
                cells.append("–" if r is None or pd.isna(r["mean"]) else _cell(r, metric, marks))
            if any(c != "–" for c in cells):
                rows.append({"name": metric, "doc": doc(metric), "unit": unit(metric), "cells": cells})
        title = "Key results" if len(variants) <= PER_TABLE else f"Key results ({lo + 1}–{lo + len(chunk)} of {len(variants)})"
        blocks.append({"title": title, "variants": chunk, "rows": rows, "notes": [NOTES[k] for k in sorted(marks)]})
    return blocks


def _comparison(run: RunFolder) -> tuple[list[dict[str, Any]], str]:
    c = run.comparison
    if c is None or c.empty:
        return [], ""
    level = float(c["confidence"].iloc[0]) if "confidence" in c else 0.95
    compared = outcome_names(_kinds(run), per_type=False)
    rows = []
    for variant in dict.fromkeys(c["variant"]):
        cv = c.loc[c["variant"] == variant].drop_duplicates("metric").set_index("metric")
        for m in (m for m in compared if m in cv.index):
            r = cv.loc[m]
            rows.append({
                "variant": variant, "metric": doc(m),
                "base": fmt(float(r.get("base_mean", math.nan)), m), "value": fmt(float(r.get("variant_mean", math.nan)), m),
                "difference": fmt(float(r["difference"]), m, signed=True),
                "ci": f"{fmt(float(r['ci_low']), m, signed=True)} … {fmt(float(r['ci_high']), m, signed=True)}",
                "significant": str(r.get("significant", "")).lower() == "true",
            })
    return rows, f"{level:.1%}"


def _staffing(run: RunFolder) -> dict[str, Any] | None:
    """The staffing curve with its interval's real level, the headcount by team and the answer in words."""
    if run.staffing is None:
        return None
    meta = run.staffing_meta or {}
    target = str(meta.get("target", "the target"))
    metric = target.split()[0] if target.split() else ""
    level = meta.get("ci_level_two_sided")
    if level is None and "ci_level" in run.staffing and run.staffing["ci_level"].notna().any():
        level = float(run.staffing["ci_level"].dropna().iloc[0])
    ci_head = f"{float(level):.0%} CI" if isinstance(level, (int, float)) else "CI (level not recorded)"
    teams = staffing_headcount(run.scenario, meta)
    rows, marks = [], set()
    for _, r in run.staffing.sort_values("coders").iterrows():
        ci, clipped = interval(float(r["ci_low"]), float(r["ci_high"]), metric)
        marks |= clipped
        p_met = "–"
        if "p_met" in r and not pd.isna(r["p_met"]):
            p_met = f"{float(r['p_met']):.0%}"
            if "p_met_low" in r and not pd.isna(r["p_met_low"]):
                p_met += f" [{float(r['p_met_low']):.0%} – {float(r['p_met_high']):.0%}]"
        n = int(r["coders"])
        total = int(r["total_coders"]) if "total_coders" in r and not pd.isna(r["total_coders"]) else n + sum(teams.values())
        rows.append({"coders": n, "total": total, "mean": fmt(float(r["mean"]), metric), "ci": ci, "p_met": p_met,
                     "met": str(r.get("met", "")).lower() == "true"})
    answer = meta.get("answer")
    if answer is not None:
        text = f"Smallest main team meeting {target}: {answer} coders"
        if teams:
            text += f" ({meta.get('answer_headcount') or _headcount(int(answer), teams)} in all)"
    else:
        lo, hi = (meta.get("coder_range") or [None, None])[:2]
        searched = f" ({lo}..{hi} main-team coders)" if lo is not None else ""
        text = f"No team size searched{searched} meets {target}"
        short = (meta.get("shortfall") or {}).get("text")
        if short:
            text += f": {short}"
    if meta.get("rule_text"):
        text += f" (decision rule — {meta['rule_text']})"
    fixed = ", ".join(f"{name} {c}" for name, c in teams.items())
    return {
        "target": target, "rows": rows, "answer": text + ".", "ci_head": ci_head,
        "ci_text": str(meta.get("ci_text") or ""),
        "teams": (f"Coders = the main team (coders.count), the only count varied; in all = main team + the fixed "
                  f"teams ({fixed})." if fixed else "Coders = the main team (coders.count), the only team."),
        "notes": [NOTES[k] for k in sorted(marks)],
    }


def _headcount(n: int, teams: dict[str, int]) -> str:
    from sim.analysis.staffing import headcount_text

    return headcount_text(n, teams)


def _implementation(m: dict[str, Any]) -> list[tuple[str, str]]:
    versions = m.get("versions") or {}
    machine = m.get("machine") or {}
    rows = [(f"{k} version", str(v)) for k, v in versions.items()]
    rows += [
        ("random generator", str(m.get("random_generator", "not recorded"))),
        ("worker processes", str(m.get("workers", "not recorded"))),
        ("simulation wall time", f"{m['wall_seconds']:.2f} s" if isinstance(m.get("wall_seconds"), (int, float)) else "not recorded"),
        ("machine", " · ".join(str(v) for v in machine.values()) or "not recorded"),
    ]
    return rows


def _staff_experiment(meta: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not meta:
        return []
    span = meta.get("coder_range") or ["?", "?"]
    rows = [("staffing search", f"{meta.get('varied', 'coders.count')} from {span[0]} to {span[-1]}, "
             f"{meta.get('replications', '?')} replications per count, the same seed for every count")]
    teams = meta.get("fixed_teams")
    if teams:
        rows.append(("fixed teams", ", ".join(f"{k}: {v} coders" for k, v in teams.items())))
    if meta.get("rule_text"):
        rows.append(("decision rule", str(meta["rule_text"])))
    return rows


def _glance(run: RunFolder) -> list[str]:
    staffing = _staffing(run)
    if staffing is not None:
        return [staffing["answer"]]
    if run.summary is None:
        return []
    from sim.report.fan import read_answers

    ahead = read_answers(run.path, run.variants[0])  # from a starting state: the weeks ahead, with probabilities
    s = run.summary.set_index(["variant", "metric"])
    base = run.variants[0]
    lines = []
    if (base, "charts_per_coder_day") in s.index:
        r = s.loc[(base, "charts_per_coder_day")]
        lines.append(
            f"A coder finishes {_cell(r, 'charts_per_coder_day')} charts per day on average "
            f"(95% confidence interval in brackets; documented expectation 20–30+)."
        )
    if (base, "utilisation") in s.index:
        lines.append(f"Share of desk time spent working: {fmt(float(s.loc[(base, 'utilisation'), 'mean']), 'utilisation')}.")
    if (base, "shrinkage") in s.index:
        lines.append(f"Shrinkage (days away and breaks over scheduled shift time): "
                     f"{_cell(s.loc[(base, 'shrinkage')], 'shrinkage')}.")
    if (base, "dnfb_dollars_mean") in s.index:
        lines.append(f"Dollars waiting on coding (DNFB) at the end of a day, on average: "
                     f"{_cell(s.loc[(base, 'dnfb_dollars_mean')], 'dnfb_dollars_mean')} (see the figure DNFB dollars by day).")
    if ahead and len(run.variants) > 1:
        ahead[-1] += "; each variant's answers: answers.csv"
    return [*(f"Ahead: {a} (from {run.manifest.get('replications', '?')} replications; see the fan charts)."
              for a in ahead), *lines]


def render_html(run: RunFolder, plots: list[Plot]) -> str:
    """The report page as text."""
    return page_for(run)(plots)


def page_for(run: RunFolder) -> Callable[[list[Plot]], str]:
    """Everything on the page but the figures, worked out now; returns the function writing the page with them.

    A report works out the page (its tables, its words, the compiled
    template) while its figures are still being drawn (:mod:`sim.report.aside`).
    """
    s, m = run.scenario, run.manifest
    inputs = inputs_table(s)
    counts = {
        "documented": sum(r.status == "documented" for r in inputs),
        "part": sum(r.status == "documented in part" for r in inputs),
        "assumption": sum(r.status == "assumption" for r in inputs),
        "unstated": sum(r.status == "not stated" for r in inputs),
    }
    comparison, level = _comparison(run)
    versions = m.get("versions") or {}
    template = _environment().get_template("report.html.j2")
    context = dict(
        name=run.name,
        reps=m.get("replications", "?"),
        seed=m.get("seed", "?"),
        folder=run.path.name,
        variants=run.variants,
        description=str(s.get("description") or "").strip(),
        questions=_questions(s),
        glance=_glance(run),
        logic=model_logic(s, run.staffing_meta if run.staffing is not None else None),
        inputs=inputs,
        counts=counts,
        experiment=experimentation(s, m, float(run.comparison["confidence"].iloc[0]) if comparison else None,
                                   run.staffing_meta if run.staffing is not None else None)
        + _staff_experiment(run.staffing_meta),
        implementation=_implementation(m),
        result_tables=_result_tables(run),
        comparison=comparison,
        comparison_level=level,
        tables=folder_tables(run),
        staffing=_staffing(run),
        chartsim_version=versions.get("chartsim", ""),
    )
    return lambda plots: template.render(**context, plots=plots)
