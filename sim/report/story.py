"""The report's words: model logic and experimentation, filled from the resolved scenario and manifest."""

from __future__ import annotations

from typing import Any

from sim.report.inputs import describe_distribution

POLICIES = {
    "oldest_first": "the chart that has waited longest is taken first (answered queries return in arrival order)",
    "returns_first": "charts coming back with a physician's answer are finished before new charts are opened",
    "type_priority": "chart types are served in a fixed order of priority, oldest first within a type",
}


def _dist(d: Any, default_unit: str = "minutes") -> str:
    if not isinstance(d, dict):
        return "none"
    return f"{describe_distribution(d)} {d.get('unit', default_unit)}"


def staffing_headcount(s: dict[str, Any], meta: dict[str, Any] | None = None) -> dict[str, int]:
    """Coder counts of the teams a staffing search holds fixed, by name (from staffing.json, else the scenario)."""
    fixed = (meta or {}).get("fixed_teams")
    if isinstance(fixed, dict):
        return {str(k): int(v) for k, v in fixed.items()}
    teams = (s.get("coders") or {}).get("teams") or {}
    return {str(k): int((t or {}).get("count", 1)) for k, t in teams.items()}


def _department(s: dict[str, Any], staffing: dict[str, Any] | None) -> str:
    """Who works: the scenario's headcount, or for a staffing search the varied main team and the fixed teams."""
    coders = s.get("coders") or {}
    teams = coders.get("teams") or {}
    if staffing is not None:
        span = staffing.get("coder_range") or ["?", "?"]
        fixed = staffing_headcount(s, staffing)
        others = (
            "; the other teams are fixed: " + ", ".join(f"{name} {c}" for name, c in fixed.items())
            if fixed else "; there are no other teams"
        )
        return (f"The staffing search varies the main team (coders.count) from {span[0]} to {span[-1]} coders{others}. "
                "The scenario file's own coders.count is only where the search starts, not its answer. The coders work")
    n = int(coders.get("count", 1)) + sum(int(t.get("count", 1)) for t in teams.values())
    if n == 1:
        return "The department's one coder works"
    return f"The department's {n} coders" + (f" (in {len(teams) + 1} teams)" if teams else "") + " work"


def model_logic(s: dict[str, Any], staffing: dict[str, Any] | None = None) -> list[str]:
    """Paragraphs describing the coder's day and the department as this scenario sets them.

    ``staffing`` (staffing.json of a ``chartsim staff`` folder) replaces the
    scenario's headcount, which the search varied, by the range searched.
    """
    coders = s.get("coders") or {}
    shift = s.get("shift") or {}
    breaks = s.get("breaks") or []
    queries = s.get("queries") or {}
    inter = s.get("interruptions") or {}
    arrivals = s.get("arrivals") or {}
    types = ", ".join(s.get("chart_types") or {})
    paras = [
        _department(s, staffing)
        + f" {shift.get('start', '08:00')}–{shift.get('end', '16:30')} on "
        + f"{', '.join(shift.get('workdays') or [])}. Charts are of {len(s.get('chart_types') or {})} types ({types}); "
        "each chart's type, coding time and whether it will need a physician query are drawn when it arrives.",
        "Work arrives as "
        + "; ".join(
            part
            for part in (
                f"a queue per coder at the first login (charts: {describe_distribution(arrivals['at_login_per_coder'])})"
                if arrivals.get("at_login_per_coder") else "",
                f"a backlog at the start (charts: {describe_distribution(arrivals['backlog'])})" if arrivals.get("backlog") else "",
                "new charts at 00:00 each day (" + ", ".join(
                    f"{k}: {describe_distribution(v.get('count') or {})}" for k, v in (arrivals.get("daily") or {}).items()
                ) + ")" if arrivals.get("daily") else "",
                "Poisson arrivals during the day (" + ", ".join(
                    f"{k}: {r:g}/h" for k, r in (arrivals.get("per_hour") or {}).items()
                ) + ")" if arrivals.get("per_hour") else "",
            )
            if part
        )
        + ".",
        f"Queue policy: {POLICIES.get(coders.get('policy', 'oldest_first'), coders.get('policy'))}. "
        "A coder takes the next chart by this policy and codes it for its drawn time divided by the coder's speed.",
        "When a chart's documentation is ambiguous the coder writes a physician query and sets the chart aside; "
        f"the physician's answer takes {_dist(queries.get('answer_delay'), 'minutes')}"
        + (" counted only in physician working hours" if queries.get("physician_hours") else "")
        + ", and the chart returns to the queue needing only a short completion.",
        (
            "Breaks: " + "; ".join(f"{b.get('name', 'break')} at {b.get('at')} for {b.get('minutes'):g} min" for b in breaks)
            + ". A break is taken at its set time once the chart in hand is finished (a coder does not drop a half-read "
            "record), and ends with the shift at the latest (assumption)."
            if breaks else "The scenario sets no breaks."
        ),
        f"Billing questions about coded charts interrupt the coder (Poisson, mean {float(inter.get('per_day', 0)):g} "
        f"per coder per day, each {_dist(inter.get('duration'))}) and add their minutes to the work in hand. "
        "No new chart is started after the shift; the chart in hand is finished and questions still waiting are "
        "answered, and that after-shift time is paid at "
        f"{float(s.get('shift', {}).get('after_shift_pay_factor', 1.0)):g}× (assumption)"
        + (
            f"; on days that start with more than {s['overtime'].get('backlog_threshold')} charts waiting at the first "
            f"login, every coder works {s['overtime'].get('minutes'):g} extra minutes at "
            f"{s['overtime'].get('pay_factor', 1.5):g}× pay (decided once that morning for all coders)."
            if s.get("overtime") else "; overtime is off."
        ),
        "Charts still open at the end count in turnaround and waiting times at their age then, so those figures are "
        "lower bounds when charts remain open (the share still open is reported beside them).",
    ]
    return paras


def experimentation(
    s: dict[str, Any], m: dict[str, Any], comparison_level: float | None, staffing: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """(item, value) rows of the experimentation section (``staffing``: staffing.json of a staffing search)."""
    warmup = m.get("warmup_days", s.get("warmup_days", 0))
    how = m.get("warmup_method", "MSER-5") if s.get("warmup_days") == "auto" else "set in the scenario"
    rows = [
        ("replications", f"{m.get('replications', '?')} per "
         + ("main-team count searched" if staffing is not None else "scenario and variant")),
        ("master seed", str(m.get("seed", "?"))),
        ("random streams", str(m.get("random_generator", "not recorded"))
         + "; replication r uses the same streams in every variant (common random numbers)"),
        ("horizon", f"{s.get('days', '?')} calendar day(s), starting on a {s.get('start_weekday', 'mon')}"),
        ("warm-up", f"{warmup} day(s) left out of the statistics ({how})"),
        ("turnaround target", f"{s.get('target_days', '?')} days (for the share coded within target)"),
        ("confidence intervals",
         (f"staffing curve: {staffing['ci_text']}" if staffing and staffing.get("ci_text") else
          "95% Student-t interval over replication means")
         + " (Law, Simulation Modeling and Analysis, 5th ed., §9.4.1)"),
    ]
    if comparison_level is not None:
        rows.append(
            ("comparisons", f"paired-t on per-replication differences (common random numbers), {comparison_level:.1%} "
             "intervals — Bonferroni-adjusted over the variants (Law §10.2.1, §10.3)")
        )
    return rows
