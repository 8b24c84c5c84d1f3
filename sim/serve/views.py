"""Results as a coding director reads them: sentences, a table and the report's own figures.

The paired difference of a metric becomes a sentence — "2.1 more charts a
day per coder, 95 % CI 1.8–2.4" — from the run's comparison table; numbers
are formatted by the metric registry, figures are drawn by
``sim.report.plots`` exactly as in ``report.html``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from sim.runs.registry import fmt, lookup, scenario_metrics
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
}
SENTENCES = ["charts_per_coder_day", "backlog_end", "turnaround_p95_days", "share_within_target", "cost_per_chart"]


@dataclass(frozen=True)
class Sentence:
    metric: str
    text: str
    tone: str  # better | worse | same | unclear


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
    out = []
    for metric in SENTENCES:
        if metric not in rows.index:
            continue
        if metric == "backlog_end" and results.scenario.days < 2:
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
        out.append(Sentence(metric, difference_sentence(metric, diff, low, high, float(r["confidence"])), tone))
    return out


def table(results: Any) -> list[dict[str, str]]:
    """Headline metrics: as is, changed (mean with 95 % CI) and the paired difference with its CI."""
    s = results.summary.set_index(["variant", "metric"])
    comp = results.comparison
    c = comp.loc[comp["variant"] == WHAT_IF].set_index("metric") if comp is not None and not comp.empty else None
    rows = []
    for m in scenario_metrics(results.scenario):
        if not m.headline or (BASE, m.name) not in s.index:
            continue
        row = {"metric": m.name, "meaning": m.meaning, "unit": "%" if m.unit == "share" else m.unit}
        for v in (BASE, WHAT_IF):
            r = s.loc[(v, m.name)]
            row[v] = fmt(r["mean"], m.name)
            row[f"{v}_ci"] = f"{fmt(r['ci_low'], m.name)} – {fmt(r['ci_high'], m.name)}"
        if c is not None and m.name in c.index:
            r = c.loc[m.name]
            row["difference"] = fmt(r["difference"], m.name, signed=True)
            row["difference_ci"] = f"{fmt(r['ci_low'], m.name, signed=True)} – {fmt(r['ci_high'], m.name, signed=True)}"
            row["significant"] = "yes" if bool(r["significant"]) else "no"
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
            plots.turnaround(_relabel(results.charts), results.warmup, float(target)),
            plots.forest(_relabel(results.comparison)),
        ]
    notes = {"turnaround": "Not drawn: a run this large keeps no per-chart table on the page; the table above "
                           "has the turnaround percentiles, and the run folder download has them per replication."}
    return [Figure(p.key, p.title, p.reading, p.png, p.note if p.drawn or p.key not in notes or results.charts is not None
                   else notes[p.key]) for p in drawn]


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
        answer = (f"{result.answer} main-team coders ({result.headcount(result.answer)}) meet {t} with "
                  f"{result.confidence:.0%} confidence; cost per chart {fmt(cost, 'cost_per_chart')}.")
    else:
        lo, hi = result.coder_range
        answer = f"No main team of {lo}..{hi} coders meets {t}: {short.text if short else ''}"
    rows = [{"coders": n, "in_all": p.total_coders, "mean": fmt(p.mean, t.metric),
             "ci": f"{fmt(p.ci_low, t.metric)} – {fmt(p.ci_high, t.metric)}", "p_met": f"{p.p_met:.0%}",
             "met": "yes" if p.met else "no", "answer": n == result.answer}
            for n, p in sorted(result.points.items())]
    return {"answer": answer, "met": result.answer is not None, "rows": rows, "ci_text": result.ci_text(),
            "rule": result.rule_text(), "figure": Figure(plot.key, plot.title, plot.reading, plot.png, plot.note),
            "estimate": result.workload.minimum, "notes": result.notes}
