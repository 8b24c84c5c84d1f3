"""The metrics a run reports: one registry read by the console, the report, the workbook and ``staff``.

Each metric has a name (used in ``--target``, comparisons and the CSV
columns), a unit, a one-line meaning, whether a manager reads it first
(``headline``) and which direction is better. Per-type productivity
(``coded_<type>_per_coder_day``) is added for each chart type of a scenario.
It also says how a number and an interval are written, once for the console,
the report and the page (:func:`fmt`, :func:`interval`). No heavy imports
here: ``chartsim metrics`` and error messages load only this.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"] | None


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # charts, queries, min, hours, days, share, $
    meaning: str
    headline: bool = False
    better: Better = None

    @property
    def count(self) -> bool:
        """A quantity that cannot be negative (a confidence bound below 0 is only sampling error)."""
        return self.unit in ("charts", "queries", "min", "hours", "days", "$")


_TYPE_PREFIX, _TYPE_SUFFIX = "coded_", "_per_coder_day"

# In reading order; the per-type rates follow charts_per_coder_day.
METRICS: tuple[Metric, ...] = (
    Metric("charts_per_coder_day", "charts", "charts coded per coder per working day", True, "higher"),
    Metric("charts_coded", "charts", "charts coded in the run (after warm-up)"),
    Metric("utilisation", "share", "share of time at the desk (not on break) spent working", True),
    Metric("coding_minutes", "min", "minutes coding per coder-day", True),
    Metric("query_minutes", "min", "minutes writing queries per coder-day", True),
    Metric("interrupted_minutes", "min", "minutes answering billing questions per coder-day", True),
    Metric("break_minutes", "min", "minutes on break per coder-day", True),
    Metric("idle_minutes", "min", "minutes waiting for work per coder-day", True),
    Metric("after_shift_minutes", "min", "minutes worked after the shift (and overtime) ended, per coder-day", True, "lower"),
    Metric("paid_minutes", "min", "minutes paid per coder-day: shift, overtime and after-shift time"),
    Metric("queries_sent", "queries", "physician queries sent", True),
    Metric("queries_answered", "queries", "physician queries answered", True),
    Metric("backlog_mean", "charts", "charts not yet coded at the end of a day, mean over days", False, "lower"),
    Metric("backlog_end", "charts", "charts arrived and not yet coded at the end of the run (open charts)", True, "lower"),
    Metric("on_hold_end", "charts", "charts waiting for a physician's answer at the end", True, "lower"),
    Metric("share_open_end", "share", "share of the charts that arrived still open (not coded) at the end", True, "lower"),
    Metric("turnaround_mean_days", "days", "arrival to coded, days; open charts count at their age (a lower bound)",
           False, "lower"),
    Metric("turnaround_p50_days", "days", "median arrival to coded, days; open charts at their age", False, "lower"),
    Metric("turnaround_p90_days", "days", "90th percentile arrival to coded, days; open charts at their age",
           False, "lower"),
    Metric("turnaround_p95_days", "days", "95th percentile arrival to coded, days; open charts at their age",
           True, "lower"),
    Metric("share_within_target", "share", "share of charts coded within target_days of arrival", True, "higher"),
    Metric("wait_mean_minutes", "min", "arrival to first opened by a coder, minutes; unopened charts at their age",
           False, "lower"),
    Metric("wait_p50_minutes", "min", "median wait to be opened, minutes; unopened charts at their age", False, "lower"),
    Metric("wait_p90_minutes", "min", "90th percentile wait to be opened, minutes; unopened at their age",
           False, "lower"),
    Metric("wait_p95_minutes", "min", "95th percentile wait to be opened, minutes; unopened at their age",
           True, "lower"),
    Metric("share_started_within_target", "share",
           "share of charts opened by a coder within start_target_hours of arrival", True, "higher"),
    Metric("p_wait", "share", "share of charts that waited before a coder opened them", False, "lower"),
    Metric("overtime_hours", "hours", "overtime hours worked in the run", True, "lower"),
    Metric("labour_cost", "$", "pay for the paid hours of the run, $", False, "lower"),
    Metric("cost_per_chart", "$", "labour cost per coded chart, $: coder pay only (no vendor fees, licences or hires; "
           "see total_cost), over the charts the coders coded", True, "lower"),
)
# Reported only when the scenario turns on the section that produces them (section → its metrics).
OPTIONAL_METRICS: dict[str, tuple[Metric, ...]] = {
    "absence": (
        Metric("shrinkage", "share",
               "share of scheduled shift minutes (all coder-days, absent ones included, after warm-up) not at the "
               "desk: absent days plus breaks (billing questions, idle and query time count as at the desk)",
               True, "lower"),
        Metric("absent_days", "days", "coder working days lost to absence (planned and unplanned) after warm-up"),
    ),
    "revenue": (
        Metric("dnfb_dollars_mean", "$",
               "dollars of arrived charts not yet coded at the end of a day (discharged not final-billed for "
               "coding; with audits, also coded charts waiting for their pre-bill audit or its rework), mean over "
               "days after warm-up", True, "lower"),
        Metric("dnfb_days", "days",
               "DNFB dollars divided by the average daily revenue arriving (both after warm-up): days of revenue "
               "waiting on coding", True, "lower"),
    ),
    "accuracy": (
        Metric("error_rate", "share", "share of the charts coded after warm-up that were coded with an error",
               True, "lower"),
        Metric("rework_charts", "charts", "charts reworked after warm-up (their error found and fixed)"),
        Metric("rework_minutes", "min", "minutes reworking charts per coder-day (part of coding_minutes)", True, "lower"),
        Metric("denials_per_1000", "charts",
               "errors found after warm-up by a denial (after billing; not those a pre-bill audit caught) per "
               "1,000 charts coded after warm-up", False, "lower"),
    ),
    "audits": (
        Metric("audit_coverage", "share",
               "share of the charts coded after warm-up that were audited before billing (by the end of the run)",
               True, "higher"),
        Metric("caught_before_billing", "share",
               "share of the errors in charts coded after warm-up that a pre-bill audit caught, of those caught or "
               "billed (errors in charts still waiting for their audit are left out); needs accuracy", True, "higher"),
        Metric("audit_minutes", "min", "minutes auditing charts per coder-day (a time-use column of its own)", True),
        Metric("audit_backlog_end", "charts", "coded charts waiting for their pre-bill audit at the end of the run",
               False, "lower"),
    ),
    "outsourcing": (
        Metric("outsourced_share", "share", "share of the charts arrived after warm-up sent to the coding vendor"),
        Metric("vendor_charts", "charts", "charts sent to the coding vendor after warm-up"),
        Metric("vendor_turnaround_mean_days", "days",
               "arrival to returned coded by the vendor, days, over the charts sent after warm-up; charts not back "
               "by the end count at their age", False, "lower"),
        Metric("vendor_fees", "$", "vendor fees per working day after warm-up, $ (charts sent × fee per chart)",
               True, "lower"),
        Metric("vendor_error_rate", "share", "share of the vendor's charts returned after warm-up with an error",
               False, "lower"),
    ),
    "costs": (
        Metric("total_cost", "$",
               "what the department costs per working day after warm-up, $: coder pay (overtime included), "
               "vendor fees, CAC licences, hires spread over their horizon and the DNFB carrying cost",
               True, "lower"),
        Metric("labour_cost_per_day", "$", "coder pay per working day after warm-up, $ (overtime included)"),
        Metric("licence_cost_per_day", "$", "CAC licences per working day, $ (every coder on staff)"),
        Metric("hire_cost_per_day", "$", "one-off hiring costs spread over costs.hire_horizon_years, per working day, $"),
        Metric("dnfb_carrying_per_day", "$",
               "carrying cost of the mean DNFB dollars at costs.dnfb_annual_rate, per working day, $ (0 without it)"),
    ),
}
BY_NAME: dict[str, Metric] = {m.name: m for m in (*METRICS, *(m for ms in OPTIONAL_METRICS.values() for m in ms))}


def type_metric(kind: str) -> Metric:
    """Per-type productivity of one chart type."""
    return Metric(f"{_TYPE_PREFIX}{kind}{_TYPE_SUFFIX}", "charts", f"{kind} charts coded per coder per working day",
                  True, "higher")


def metrics_for(kinds: Iterable[str], sections: Iterable[str] = ()) -> list[Metric]:
    """Every metric a run with these chart types (and optional ``sections`` turned on) reports, in reading order."""
    per_type = [type_metric(k) for k in kinds]
    on = set(sections)
    optional = [m for section, ms in OPTIONAL_METRICS.items() if section in on for m in ms]
    return [METRICS[0], *per_type, *METRICS[1:], *optional]


def sections_on(scenario: object) -> list[str]:
    """The optional scenario sections turned on (not None) in ``scenario``, whose metrics its runs report."""
    return [section for section in OPTIONAL_METRICS if getattr(scenario, section, None) is not None]


def scenario_metrics(scenario: object) -> list[Metric]:
    """Every metric a run of ``scenario`` reports: its chart types' and its optional sections'."""
    return metrics_for(scenario.chart_types, sections_on(scenario))  # type: ignore[attr-defined]


def run_scope(scenario: object) -> tuple[list[str], list[str]]:
    """The chart types and optional sections of a run of ``scenario``: its own and its variants' together.

    A variant may turn on a section the base lacks (absence, a vendor…): the
    run then reports that section's metrics too, for that variant.
    """
    scenarios = [scenario, *scenario.expanded().values()]  # type: ignore[attr-defined]
    kinds = list(dict.fromkeys(k for s in scenarios for k in s.chart_types))
    return kinds, list(dict.fromkeys(x for s in scenarios for x in sections_on(s)))


def run_metrics(scenario: object) -> list[Metric]:
    """Every metric a run of ``scenario`` reports, in any of its variants (:func:`run_scope`)."""
    return metrics_for(*run_scope(scenario))


def metric_names(kinds: Iterable[str], sections: Iterable[str] = ()) -> list[str]:
    return [m.name for m in metrics_for(kinds, sections)]


def headline_names(kinds: Iterable[str], sections: Iterable[str] = ()) -> list[str]:
    return [m.name for m in metrics_for(kinds, sections) if m.headline]


def lookup(name: str) -> Metric:
    """The metric called ``name`` (per-type rates too); an unknown name gets a plain description."""
    if name in BY_NAME:
        return BY_NAME[name]
    if name.startswith(_TYPE_PREFIX) and name.endswith(_TYPE_SUFFIX):
        return type_metric(name[len(_TYPE_PREFIX): -len(_TYPE_SUFFIX)])
    return Metric(name, "", name.replace("_", " "))


def fmt(value: float | None, metric: str = "", signed: bool = False) -> str:
    """A number as a manager reads it: shares as %, dollars to cents, counts with thousands separators.

    Never scientific notation; NaN and None are a dash.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    sign = "+" if signed else ""
    u = lookup(metric).unit if metric else ""
    if u == "share":
        return f"{value * 100:{sign}.1f}%"
    if u == "$":
        lead = "-" if value < 0 else sign
        return f"{lead}${abs(value):,.2f}"
    a = abs(value)
    if a >= 1000:
        return f"{value:{sign},.0f}"
    if a >= 100:
        return f"{value:{sign}.1f}"
    if a >= 10 or a == 0:
        return f"{value:{sign}.2f}" if a else f"{value:{sign}.0f}"
    if a >= 0.01:
        return f"{value:{sign}.3f}"
    return f"{value:{sign}.2g}" if a >= 1e-4 else f"{value:{sign}.6f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- intervals as people read them

LOW_MARK, HIGH_MARK = "ᵃ", "ᵇ"
NOTES = {
    LOW_MARK: f"{LOW_MARK} interval truncated at 0: its lower end fell below 0, which this quantity cannot",
    HIGH_MARK: f"{HIGH_MARK} interval truncated at 100%: its upper end rose above 100%, which a share cannot",
}


def interval(low: float, high: float, metric: str, signed: bool = False) -> tuple[str, set[str]]:
    """'lo – hi' in the metric's format; a bound beyond what the quantity can be is clipped and marked."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "–", set()
    m = lookup(metric)
    marks: set[str] = set()
    lo_mark = hi_mark = ""
    if not signed and (m.count or m.unit == "share") and low < 0:
        low, lo_mark = 0.0, LOW_MARK
        marks.add(LOW_MARK)
    if not signed and m.unit == "share" and high > 1:
        high, hi_mark = 1.0, HIGH_MARK
        marks.add(HIGH_MARK)
    return f"{fmt(low, metric, signed)}{lo_mark} – {fmt(high, metric, signed)}{hi_mark}", marks


def notes_for(marks: set[str]) -> list[str]:
    return [NOTES[k] for k in (LOW_MARK, HIGH_MARK) if k in marks]


def unit_label(metric: str) -> str:
    u = lookup(metric).unit
    return "%" if u == "share" else u


def missing(x: object) -> bool:
    """None, NaN or pandas' NA (without loading pandas: ``chartsim metrics`` stays quick)."""
    if x is None:
        return True
    try:
        return bool(x != x)
    except TypeError:  # pandas.NA
        return True
