"""Results as a coding director reads them: sentences, a table and the report's own figures.

The paired difference of a metric becomes a sentence — "2.1 more charts a
day per coder, 95 % CI 1.8–2.4" — from the run's comparison table; numbers
are formatted by the metric registry, figures are drawn by
``sim.report.plots`` as in ``report.html``. The sentences lead with what a
manager changes the plan for (turnaround, backlog, DNFB dollars, cost) and
end with per-coder productivity, which falls when the same work is shared
by more coders without anyone working slower.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from typing import Any

from sim.runs.registry import fmt, interval, lookup, notes_for, scenario_metrics
from sim.scenario.config import BASE
from sim.serve.controls import WHAT_IF

_DRAWING = threading.Lock()  # matplotlib's font cache and text layout are shared: one figure at a time
SHOWN = {BASE: "as is", WHAT_IF: "changed"}  # variant names as the page's figures label them

# metric → (what it counts, word when more, word when less); others read "<meaning>: … higher/lower".
PHRASES: dict[str, tuple[str, str, str]] = {
    "charts_per_coder_day": ("charts a day per coder", "more", "fewer"),
    "cost_per_chart": ("per chart in labour cost", "more", "less"),
    "backlog_end": ("charts still open at the end of the run", "more", "fewer"),
    "turnaround_p95_days": ("days of 95th-percentile turnaround", "more", "fewer"),
    "share_within_target": ("charts coded within the turnaround target", "more", "fewer"),
    "overtime_hours": ("overtime hours in the run", "more", "fewer"),
    "dnfb_dollars_mean": ("of revenue waiting on coding (DNFB dollars, mean at day end)", "more", "less"),
}
# In the order a manager weighs a change: how fast and how much is left, what it holds up and costs; per coder last.
SENTENCES = ["turnaround_p95_days", "share_within_target", "backlog_end", "dnfb_dollars_mean", "cost_per_chart",
             "overtime_hours", "charts_per_coder_day"]
UNIT_WORDS = {"charts": "charts", "queries": "queries", "min": "minutes", "hours": "hours", "days": "days",
              "share": "%", "$": "dollars ($)"}


def unit_words(metric: str) -> str:
    """A metric's unit as the page writes it: minutes, not min; % for a share."""
    u = lookup(metric).unit
    return UNIT_WORDS.get(u, u)


SETTING_WORDS = {"start_target_hours of arrival": "the start target (hours from arrival)",
                 "target_days of arrival": "the turnaround target (days from arrival)",
                 "coding_minutes": "coding time", "see total_cost": "see the total cost",
                 "costs.hire_horizon_years": "the hiring horizon",
                 "costs.dnfb_annual_rate": "the annual carrying rate"}  # scenario and column names in the meanings


# chartsim staff's and plan's options as the page's fields name them (their messages are written for the terminal)
FLAG_WORDS = [
    (re.compile(r"run more replications \(--reps\)"), "run more replications (Replications)"),
    (re.compile(r"widen --coders"), "widen Main team from..to"),
    (re.compile(r"the fewest in --coders"), "the fewest in Main team from..to"),
    (re.compile(r"--lever PATH=VALUES"), "a line PATH=VALUES in Levers"),
    (re.compile(r"--lever ([^\s:]+):"), r"Levers, \1:"),
    (re.compile(r"--lever\b"), "Levers"),
    (re.compile(r"--target\b"), "Target"),
    (re.compile(r"--coders\b"), "Main team from..to"),
    (re.compile(r"--reps\b"), "Replications"),
    (re.compile(r"--confidence\b"), "Confidence"),
]


def page_words(text: str) -> str:
    """A staffing or plan message with the CLI's option names (``--coders``) said as the page's fields."""
    for pattern, words in FLAG_WORDS:
        text = pattern.sub(words, text)
    return text


def meaning(metric: str) -> str:
    """The registry's meaning of a metric, as a label (first letter capital, no setting names)."""
    text = lookup(metric).meaning
    for name, words in SETTING_WORDS.items():
        text = text.replace(name, words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Sentence:
    metric: str
    text: str
    tone: str  # better | worse | same | unclear | neutral (said without colour)
    note: str = ""


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    reading: str
    png: str | None
    note: str


def _plain(a: float, metric: str, digits: int) -> str:
    """A magnitude as a director reads it: dollars to cents, shares in points, else ``digits`` decimals."""
    unit = lookup(metric).unit
    if unit == "$":
        return f"${a:,.2f}"
    return f"{a * 100 if unit == 'share' else a:,.{digits}f}"


def difference_sentence(metric: str, diff: float, low: float, high: float, level: float) -> str:
    """'2.1 more charts a day per coder, 95 % CI 1.8–2.4' (both ends in the direction of the difference)."""
    what, more, less = PHRASES.get(metric, (f"({lookup(metric).meaning})", "higher", "lower"))
    ci = f"{level:.0%}".replace("%", " %")
    points = " percentage points" if lookup(metric).unit == "share" else ""
    scale = 100 if points else 1
    finite = [abs(x) * scale for x in (diff, low, high) if not math.isnan(x)]
    digits = 1 if max(finite, default=0) >= 1 else 2

    def amount(x: float) -> str:
        return _plain(abs(x), metric, digits)

    if math.isnan(diff):
        return f"no value for {what}"
    if math.isnan(low) or math.isnan(high):
        return f"{amount(diff)}{points} {more if diff >= 0 else less} {what}; no interval (too few values)"
    if diff == 0 and low == high == 0:
        return f"no difference in {what} (the same in every replication)"
    word = more if diff > 0 else less
    if low <= 0 <= high:  # the interval crosses zero: say both ways
        span = f"{amount(low)} {less if low < 0 else more} to {amount(high)} {more}"
        return f"{amount(diff)}{points} {word} {what}, {ci} CI {span}{points} — not a clear difference"
    a, b = sorted((abs(low), abs(high)))
    return f"{amount(diff)}{points} {word} {what}, {ci} CI {amount(a)}–{amount(b)}{points}"


def sentences(results: Any) -> list[Sentence]:
    """The paired differences a director reads first, in words, each with its interval."""
    comp = results.comparison
    if comp is None or comp.empty:
        return []
    rows = comp.loc[comp["variant"] == WHAT_IF].set_index("metric")
    base, changed = results.scenario, results.variants.get(WHAT_IF, results.scenario)
    overtime = base.overtime is not None or changed.overtime is not None
    out = []
    for metric in SENTENCES:
        if metric not in rows.index:
            continue
        if metric == "backlog_end" and results.scenario.days < 2:
            continue
        if metric == "overtime_hours" and not overtime:
            continue
        r = rows.loc[metric]
        diff, low, high = float(r["difference"]), float(r["ci_low"]), float(r["ci_high"])
        if math.isnan(diff):
            continue
        better = lookup(metric).better
        if diff == 0 and low == high == 0:
            tone = "same"
        elif low <= 0 <= high or not better:
            tone = "unclear"
        else:
            tone = "better" if (diff > 0) == (better == "higher") else "worse"
        note = ""
        more = changed.n_coders > base.n_coders
        if metric == "charts_per_coder_day" and changed.n_coders != base.n_coders and (diff < 0) == more:
            note = (f"The same charts are shared by {'more' if more else 'fewer'} coders ({base.n_coders} → "
                    f"{changed.n_coders}), so each codes {'fewer' if more else 'more'} a day; "
                    f"{'no one works slower' if more else 'each works harder'}.")
            tone = "neutral"
        out.append(Sentence(metric, difference_sentence(metric, diff, low, high, float(r["confidence"])), tone, note))
    return out


def _span(low: str, high: str) -> str:
    return "–" if low == high == "–" else f"{low} – {high}"


def _shows_zero(text: str) -> bool:
    """Whether a formatted number reads as zero ('-0.0%', '+0.00', '$0.00')."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return bool(digits) and set(digits) == {"0"}


def table(results: Any) -> list[dict[str, str]]:
    """Headline metrics: as is, changed (mean with 95 % CI) and the paired difference with its CI.

    In the sentences' order (turnaround, backlog, DNFB, cost), then the registry's, per-coder productivity last.
    """
    s = results.summary.set_index(["variant", "metric"])
    comp = results.comparison
    c = comp.loc[comp["variant"] == WHAT_IF].set_index("metric") if comp is not None and not comp.empty else None
    rows = []
    first = {name: i for i, name in enumerate(SENTENCES[:-1])}  # what the change is for first, as the sentences

    def rank(name: str) -> int:  # … then the registry's order, per-coder productivity last
        return first.get(name, 1000 if name.endswith("per_coder_day") else 500)

    ordered = sorted(scenario_metrics(results.scenario), key=lambda m: rank(m.name))
    for m in ordered:
        if not m.headline or (BASE, m.name) not in s.index:
            continue
        row = {"metric": m.name, "meaning": meaning(m.name), "unit": unit_words(m.name)}
        for v in (BASE, WHAT_IF):
            r = s.loc[(v, m.name)]
            row[v] = fmt(r["mean"], m.name)
            text, marks = interval(r["ci_low"], r["ci_high"], m.name)  # a share's bounds kept in 0–100 %, marked
            row[f"{v}_ci"] = " ".join([text, *notes_for(marks)])
        if c is not None and m.name in c.index:
            r = c.loc[m.name]
            row["difference"] = fmt(r["difference"], m.name, signed=True)
            row["difference_ci"] = _span(fmt(r["ci_low"], m.name, signed=True), fmt(r["ci_high"], m.name, signed=True))
            row["significant"] = "yes" if bool(r["significant"]) and not _shows_zero(row["difference"]) else "no"
        rows.append(row)
    return rows


def _relabel(frame: Any) -> Any:
    if frame is None or "variant" not in frame:
        return frame
    return frame.assign(variant=frame["variant"].map(lambda v: SHOWN.get(v, v)))


def figures(results: Any) -> list[Figure]:
    """Charts per coder-day, backlog by day, turnaround and the paired differences, as in report.html."""
    from sim.report import plots

    target = results.scenario.target_days
    with _DRAWING:
        drawn = [
            plots.charts_per_day(_relabel(results.coder_days), _relabel(results.summary)),
            plots.backlog_by_day(_relabel(results.days), results.warmup),
            plots.turnaround_counts(_relabel(results.turnaround), float(target))
            if results.turnaround is not None else plots.turnaround(_relabel(results.charts), results.warmup,
                                                                     float(target)),
            plots.forest(_relabel(results.comparison)),
        ]
    return [Figure(p.key, p.title, _forest_words(results.comparison) if p.key == "forest" and p.drawn else p.reading,
                   p.png, p.note) for p in drawn]


def _forest_words(comparison: Any) -> str:
    """The paired-differences figure's reading in plain words: how many measures the change clearly moves."""
    from sim.report.plots import _forest_metrics

    comp = comparison.loc[comparison["variant"] == WHAT_IF]
    comp = comp.loc[comp["difference"].astype(float).map(math.isfinite)]
    shown = comp.loc[comp["metric"].isin(_forest_metrics(comp))]
    clear = int(shown["significant"].astype(str).str.lower().eq("true").sum())
    total = len(shown)
    if clear == 0:
        return f"No clear difference in any of the {total} measures shown: every interval holds 0."
    if clear == total:
        return f"The change makes a clear difference to all {total} measures shown (red: interval clear of 0)."
    return (f"The change makes a clear difference to {clear} of the {total} measures shown (red); for the other "
            f"{total - clear} the interval holds 0.")


def staffing_view(result: Any) -> dict[str, Any]:
    """The staffing curve as a figure, a table and the answer in words."""
    from sim.analysis.staffing import fixed_teams
    from sim.report import plots

    t = result.target
    meta = {"fixed_teams": fixed_teams(result.scenario),
            "shortfall": {"text": short.text} if (short := result.shortfall()) is not None else None}
    with _DRAWING:
        plot = plots.staffing_curve(result.table(), {"metric": t.metric, "op": t.op, "value": t.value}, meta,
                                    result.ci_level)
    if result.answer is not None:
        p = result.points[result.answer]
        cost = p.replications["cost_per_chart"].mean() if "cost_per_chart" in p.replications else math.nan
        answer = (f"{result.answer} main-team coders ({result.headcount(result.answer)}) meet the target — "
                  f"{target_words(t)} — with {result.confidence:.0%} confidence; cost per chart "
                  f"{fmt(cost, 'cost_per_chart')}.")
    else:
        lo, hi = result.coder_range
        answer = f"No main team of {lo}..{hi} coders meets the target — {target_words(t)}: {short.text if short else ''}"
    answer = page_words(answer)
    rows = [{"coders": n, "in_all": p.total_coders, "mean": fmt(p.mean, t.metric),
             "ci": f"{fmt(p.ci_low, t.metric)} – {fmt(p.ci_high, t.metric)}", "p_met": f"{p.p_met:.0%}",
             "met": "yes" if p.met else "no", "answer": n == result.answer}
            for n, p in sorted(result.points.items())]
    return {"answer": answer, "met": result.answer is not None, "rows": rows, "ci_text": result.ci_text(),
            "rule": result.rule_text(), "figure": Figure(plot.key, plot.title, plot.reading, plot.png, plot.note),
            "estimate": result.workload.minimum, "notes": [page_words(n) for n in result.notes],
            "metric": meaning(t.metric),
            "unit": unit_words(t.metric)}


def target_words(target: Any) -> str:
    """'95th percentile arrival to coded at most 3 days' (a share as %)."""
    u = lookup(target.metric).unit
    value = fmt(target.value, target.metric) if u in ("share", "$") else f"{target.value:g} {unit_words(target.metric)}"
    what = re.split(r"[,;]", meaning(target.metric))[0]  # '95th percentile arrival to coded', without its unit
    return f"{what} {'at most' if target.op == '<=' else 'at least'} {value}"


def answers(results: Any) -> list[dict[str, Any]]:
    """A run from a starting state: the Monday questions answered for the scenario as it is and as changed.

    The sentences of ``answers.csv`` (sim.runs.answers), from the replications,
    grouped by question so the two answers sit side by side; empty without a state.
    """
    if results.outlook is None:
        return []
    from sim.runs.answers import answers_table

    table = answers_table(results.outlook, results.scenario)
    out = []
    for question, rows in table.groupby("question", sort=False):
        said = dict(zip(rows["variant"], rows["answer"], strict=True))
        out.append({"question": question, "base": said.get(BASE, ""), "changed": said.get(WHAT_IF, "")})
    return out


def plan_view(search: Any) -> dict[str, Any]:
    """A finished cheapest-plan search: its answer in one sentence, the frontier as a figure and a table."""
    from sim.analysis.plan_output import answer, frontier, sentence
    from sim.report.plan import cell, figure_png

    table = search.table()
    target = search.targets[0]
    front = frontier(table, target.metric, target.op)
    chosen = search.plans.index(search.chosen) if search.chosen is not None else None
    with _DRAWING:
        png = figure_png(search, table)
    runner = search.runner_up
    return {
        "answer": sentence(search) + ".", "met": search.chosen is not None, "png": png,
        "runner_up": (f"{', '.join(f'{k} = {v}' for k, v in runner.levers.items())} — {search.runner_up_reason}"
                      if runner is not None else ""),
        "method": (m := answer(search)["method"])[:1].upper() + m[1:], "plans": len(search.plans),
        "reps": f"{search.total_reps:,}",
        "notes": [page_words(n) for n in search.notes], "objective": search.objective, "metric": target.metric,
        "columns": list(table.columns),
        "rows": [{"cells": [cell(row[c], c, search) for c in table.columns], "chosen": i == chosen}
                 for i, row in front.iterrows()],
    }
