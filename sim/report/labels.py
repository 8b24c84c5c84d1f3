"""Names, units and number formats for metrics, shared by the HTML, the plots and the workbook."""

from __future__ import annotations

import math

from sim.metrics import METRIC_DOCS

UNITS: dict[str, str] = {
    "charts_per_coder_day": "charts",
    "charts_coded": "charts",
    "queries_sent": "queries",
    "queries_answered": "queries",
    "coding_minutes": "min",
    "query_minutes": "min",
    "interrupted_minutes": "min",
    "break_minutes": "min",
    "idle_minutes": "min",
    "utilisation": "share",
    "backlog_mean": "charts",
    "backlog_end": "charts",
    "on_hold_end": "charts",
    "turnaround_mean_days": "days",
    "turnaround_p50_days": "days",
    "turnaround_p90_days": "days",
    "turnaround_p95_days": "days",
    "share_within_target": "share",
    "wait_mean_minutes": "min",
    "p_wait": "share",
    "overtime_hours": "hours",
    "labour_cost": "$",
    "cost_per_chart": "$",
}

# The metrics a coding manager reads first, in reading order.
HEADLINE = [
    "charts_per_coder_day", "utilisation", "coding_minutes", "query_minutes", "interrupted_minutes",
    "idle_minutes", "queries_sent", "backlog_end", "on_hold_end", "turnaround_p95_days",
    "share_within_target", "overtime_hours", "cost_per_chart",
]


def unit(metric: str) -> str:
    """Unit of a metric; per-type productivity metrics are charts."""
    if metric.startswith("coded_") and metric.endswith("_per_coder_day"):
        return "charts"
    return UNITS.get(metric, "")


def doc(metric: str) -> str:
    """One-line meaning of a metric."""
    if metric in METRIC_DOCS:
        return METRIC_DOCS[metric]
    if metric.startswith("coded_") and metric.endswith("_per_coder_day"):
        return f"{metric[6:-14]} charts coded per coder per working day"
    return metric.replace("_", " ")


def fmt(value: float, metric: str = "", signed: bool = False) -> str:
    """A number as a person reads it: shares as %, money with $, others to 3–4 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    u = unit(metric)
    if u == "share":
        return f"{value * 100:{sign}.1f}%"
    if u == "$":
        lead = "-" if value < 0 else sign
        return f"{lead}${abs(value):,.2f}"
    if abs(value) >= 1000:
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.3g}" if abs(value) < 10 else f"{value:{sign}.1f}"
