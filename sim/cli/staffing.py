"""``chartsim staff`` on the terminal: the staffing curve, the answer's row and the report under it."""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.text import Text

from sim.cli.console import Col, Fit, terminal_safe
from sim.runs.registry import fmt, interval, notes_for, unit_label


def staffing_curve(result) -> Fit:
    """One row per simulated count: main team, headcount in all, mean, interval at its real level, P(met)."""
    t = result.target
    metric = t.metric
    ci_head = f"{result.ci_level:.0%} CI"
    cols = [Col("coders"), Col("in all"), Col("mean"), Col(ci_head), Col("P(met)"), Col("95% Wilson"), Col("met")]
    rows, marks = [], set()
    for n, p in sorted(result.points.items()):
        ci, m = interval(p.ci_low, p.ci_high, metric)
        marks |= m
        met = Text("yes", style="bold green") if p.met else Text("no", style="red")
        rows.append([str(n), str(p.total_coders), fmt(p.mean, metric), ci, f"{p.p_met:.0%}",
                     f"{p.p_met_low:.0%} – {p.p_met_high:.0%}", met])
    teams = result.fixed_teams
    fixed = ", ".join(f"{name} {c}" for name, c in teams.items())
    notes = [
        "coders = main team (coders.count, varied); in all = main team + fixed teams"
        + (f" ({fixed})" if fixed else " (none)"),
        f"{ci_head}: {result.ci_text()}",
        "P(met): replications meeting the target, with its 95% Wilson interval",
        *notes_for(marks),
    ]
    layouts = [range(7), [0, 1, 2, 3, 4, 6], [0, 1, 2, 3, 6]]
    return Fit(f"Staffing curve: {t} ({unit_label(metric) or 'metric units'})", cols, rows, layouts, notes)


def staffing_at(result) -> Fit | None:
    """Means at the answer N and N−1, and the paired change from N to N−1."""
    n = result.answer
    if n is None:
        return None
    have = [m for m in (n - 1, n) if m in result.points]
    cols = [Col("metric", name=True), *(Col(f"N={m} ({result.points[m].total_coders} in all)") for m in have)]
    if len(have) == 2:
        cols.append(Col("N−1 minus N"))
    rows = []
    for metric in shown_metrics(result):
        if any(metric not in result.points[m].replications for m in have):
            continue
        cells = [fmt(result.points[m].replications[metric].mean(), metric) for m in have]
        if len(have) == 2:
            a = result.points[have[0]].replications[metric].to_numpy(dtype=float)
            b = result.points[have[1]].replications[metric].to_numpy(dtype=float)
            d = a - b
            d = d[d == d]  # paired over replications where both are observed
            diff = float(d.mean()) if d.size else math.nan
            cells.append(fmt(diff, metric, signed=True))
        rows.append([metric, *cells])
    notes = ["N = main-team coders; means over replications; N−1 minus N paired over replications "
             "(common random numbers)"]
    return Fit("At N and N−1", cols, rows, notes=notes)


def shown_metrics(result) -> list[str]:
    from sim.analysis.targets import shown_metrics as shown  # sim.analysis loads the scenario schema: only when asked

    return shown(result.scenario, result.target.metric)


def _estimate_counts(w) -> str:
    """What the estimate's productive minutes already leave out, when the scenario models it."""
    return f", {w.absent_share:.1%} absence already deducted" if w.absent_share > 0 else ""


def staffing_report(result) -> Group:
    """Everything ``chartsim staff`` prints: the question, the estimates, the curve and the answer."""
    w, e, t = result.workload, result.erlang, result.target
    name = Text(terminal_safe(result.scenario.name), style="bold")
    teams = result.fixed_teams
    fixed = (", ".join(f"{terminal_safe(k)} {c}" for k, c in teams.items()) + " fixed") if teams else "no other teams"
    lines: list[RenderableType] = [
        Text.assemble(name, f": smallest main team meeting {t} with {result.confidence:.0%} confidence "
                            f"(main team varied over {result.coder_range[0]}..{result.coder_range[1]}; {fixed})"),
        Text(f"rule — {result.rule_text()}; {result.reps} replications per count, seed {result.seed}, "
             "same seed for every count"),
        Text(f"analytic estimate: {w.work_per_workday:.0f} min of work per working day − {w.other_capacity:.0f} from "
             f"other teams ÷ ({w.main_speed:g} × {w.productive_minutes:.0f} productive min per coder-day"
             f"{_estimate_counts(w)}) = {w.coders:.2f} → at least {w.minimum} coders (main team; "
             f"{result.headcount(w.minimum)})"),
        Text(f"Erlang C: {e.coders} main-team coders ({e.note})" if e.coders is not None else f"Erlang C: {e.note}"),
        staffing_curve(result),
    ]
    lo, hi = result.coder_range
    if result.answer is None:
        short = result.shortfall()
        lines.append(Text.assemble(Text("not met", style="bold red"),
                                   f" with any main team of {lo}..{hi} coders: {short.text if short else ''}"))
    else:
        p = result.points[result.answer]
        cost = p.replications["cost_per_chart"].mean() if "cost_per_chart" in p.replications else math.nan
        lines.append(Text.assemble(
            "simulated answer: ", Text(f"{result.answer} main-team coders", style="bold"),
            f" — headcount {result.headcount(result.answer)} — beside the analytic {w.minimum}; "
            f"cost per chart {fmt(cost, 'cost_per_chart')}"))
        if result.answer == lo:
            lines.append(Text(f"(met at the bottom of --coders {lo}..{hi}; N−1 was not simulated)"))
        at = staffing_at(result)
        if at is not None:
            lines.append(at)
    lines += [Text(f"note: {terminal_safe(note)}") for note in result.notes]
    return Group(*lines)
