"""Fan charts of the weeks ahead (``forecast.csv``), and the answers (``answers.csv``), for the report.

A run that started from the department's state (``state:``) writes, per
day, the percentiles of each metric across replications. A fan chart shows
the median line with the 50 % (25th–75th percentile) and 90 % (5th–95th)
bands of the department, ``as_of`` marked as today and the days of known
leave shaded. Each variant other than the base adds its median, dashed.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.figures import PALETTE, Plot, new_figure, omitted, text, to_png
from sim.report.labels import fmt

TITLES = {
    "backlog": ("Backlog ahead", "charts not yet coded at day end"),
    "on_hold": ("Charts on hold ahead", "charts waiting for a physician at day end"),
    "coded": ("Charts coded each day ahead", "charts coded that day"),
    "dnfb_dollars": ("DNFB dollars ahead", "dollars not yet billable at day end ($)"),
    "dnfb_days": ("DNFB days ahead", "DNFB $ ÷ average daily revenue arriving (days)"),
    "turnaround_p95_days": ("Turnaround ahead (95th percentile)", "turnaround of the day's coded charts, p95 (days)"),
}
UNITS = {  # the unit of each forecast metric, as the registry formats it (fmt) and as the reading names it
    "backlog": ("backlog_end", "charts"),
    "on_hold": ("on_hold_end", "charts"),
    "coded": ("charts_coded", "charts"),
    "dnfb_dollars": ("dnfb_dollars_mean", ""),
    "dnfb_days": ("dnfb_days", "days"),
    "turnaround_p95_days": ("turnaround_p95_days", "days"),
}
NEEDED = {"variant", "date", "day", "chart_type", "metric", "p5", "p25", "p50", "p75", "p95"}
MAX_VARIANT_LINES = len(PALETTE) - 1


def read_forecast(folder: Path) -> pd.DataFrame | None:
    """forecast.csv of a run folder, or None where the run did not start from a state (or the file is unusable)."""
    path = Path(folder) / "forecast.csv"
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, dtype={"variant": str, "chart_type": str, "metric": str, "date": str})
    except (ValueError, OSError, pd.errors.ParserError):
        return None
    return frame if NEEDED <= set(frame.columns) else None


def read_answers(folder: Path, variant: str | None = None) -> list[str]:
    """The answers of answers.csv as sentences (of ``variant`` only, when given), a variant's prefixed with its name."""
    path = Path(folder) / "answers.csv"
    if not path.is_file():
        return []
    try:
        frame = pd.read_csv(path, dtype=str)
    except (ValueError, OSError, pd.errors.ParserError):
        return []
    if not {"variant", "answer"} <= set(frame.columns):
        return []
    return [(a if v == "base" else f"{v}: {a}") for v, a in zip(frame["variant"], frame["answer"])
            if variant is None or v == variant]


def _leave_spans(scenario: dict[str, Any]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    rows = ((scenario.get("coders") or {}).get("leave")) or []
    spans = []
    for row in rows:
        try:
            first = pd.Timestamp(str(row["first_day"]))
            last = pd.Timestamp(str(row["last_day"])) + pd.Timedelta(days=1)
        except (KeyError, TypeError, ValueError):
            continue
        spans.append((first, last))
    return spans


def fan_chart(forecast: pd.DataFrame, metric: str, scenario: dict[str, Any]) -> Plot:
    """One metric of the department ahead: median, 50 % and 90 % bands, today marked, known leave shaded."""
    title, ylabel = TITLES.get(metric, (metric, metric))
    key = f"fan_{metric}"
    mine = forecast.loc[(forecast["chart_type"] == "all") & (forecast["metric"] == metric)]
    if mine.empty or mine["p50"].isna().all():
        return omitted(key, title, f"Not drawn: forecast.csv has no values of {metric}.")
    variants = list(dict.fromkeys(mine["variant"]))
    base = mine.loc[mine["variant"] == variants[0]]
    # A value at the end of a day is drawn at the end of that day.
    x = pd.to_datetime(base["date"]) + pd.Timedelta(days=1)
    fig = new_figure(10, 3.8)
    ax = fig.add_subplot()
    colour = PALETTE[0]
    ax.fill_between(x, base["p5"], base["p95"], color=colour, alpha=0.15, linewidth=0, label="90 % of runs")
    ax.fill_between(x, base["p25"], base["p75"], color=colour, alpha=0.3, linewidth=0, label="50 % of runs")
    ax.plot(x, base["p50"], color=colour, linewidth=1.8, label=f"median ({text(variants[0])})")
    for i, v in enumerate(variants[1: 1 + MAX_VARIANT_LINES], 1):
        other = mine.loc[mine["variant"] == v]
        ax.plot(pd.to_datetime(other["date"]) + pd.Timedelta(days=1), other["p50"], linestyle="--", linewidth=1,
                color=PALETTE[i % len(PALETTE)], label=f"median ({text(v)})")
    as_of = (scenario.get("state") or {}).get("as_of")
    today = None
    if as_of:
        try:
            today = pd.Timestamp(str(as_of))
        except ValueError:
            today = None
    if today is not None:
        ax.axvline(today, color="#b03a48", linewidth=1.2, label=f"today ({today:%d %b %H:%M})")
    for j, (start, end) in enumerate(_leave_spans(scenario)):
        ax.axvspan(start, end, color="#9d9d9d", alpha=0.18, linewidth=0, label="known leave" if j == 0 else None)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=min(0.0, float(base["p5"].min())))
    ax.set_title(f"{title} — department, values at the end of each day")
    if metric == "dnfb_dollars":
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v / 1e6:,.1f}M" if abs(v) >= 1e6 else f"${v:,.0f}"))
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    last = base.loc[base["p50"].notna()].iloc[-1]  # the last day with a value: a day may code no chart (no p95)
    reading = (f"{text(variants[0])}: median {_amount(last['p50'], metric)} at the end of {_date(last['date'])} "
               f"(50 % of runs {_span(last['p25'], last['p75'], metric)}, "
               f"90 % {_span(last['p5'], last['p95'], metric)}).")
    return Plot(key, title, reading, to_png(fig))


def _number(value: float, metric: str) -> str:
    """A value of a forecast metric without its unit word: the registry's format (dollars to cents, days),
    charts as counts ('1,150', '43.5': a percentile across runs may fall between two counts); never e-notation."""
    name, unit_name = UNITS.get(metric, ("", ""))
    if unit_name == "charts" and math.isfinite(value):
        return f"{value:,.1f}".removesuffix(".0")
    return fmt(value, name)


def _amount(value: float, metric: str) -> str:
    """A value of a forecast metric in its unit: '$381,100.00', '1,150 charts', '3.21 days'."""
    return f"{_number(float(value), metric)} {UNITS.get(metric, ('', ''))[1]}".rstrip()


def _span(low: float, high: float, metric: str) -> str:
    """'low–high' in the metric's unit, the unit said once."""
    return f"{_number(float(low), metric)}–{_amount(high, metric)}"


def _date(text_: str) -> str:
    when = datetime.date.fromisoformat(str(text_))
    return f"{when.day} {when:%B}"


def fan_charts(folder: Path, scenario: dict[str, Any]) -> list[Plot]:
    """A fan chart per metric of forecast.csv (none where the run did not start from a state)."""
    forecast = read_forecast(folder)
    if forecast is None:
        return []
    metrics = [m for m in TITLES if m in set(forecast["metric"])]
    return [fan_chart(forecast, m, scenario) for m in metrics]
