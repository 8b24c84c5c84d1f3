"""The report's figures, each drawn from the run's tables.

Every function takes DataFrames (as in a run folder or ``sim.run``'s Results)
and returns a :class:`~sim.report.figures.Plot` with a title, axes in units
and a one-line reading; the notebooks call them directly.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.report.figures import (
    DOCUMENTED_HIGH,
    DOCUMENTED_LOW,
    PALETTE,
    Plot,
    ecdf,
    new_figure,
    omitted,
    text,
    to_png,
)
from sim.report.labels import doc, fmt, outcome_names, unit
from sim.scenario.calendar import DAY

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NO_CODER_DAYS = "Not drawn: this folder has no coder_days.csv (a staffing search keeps only its curve)."
MAX_LINES = 8  # variants drawn in one panel before the plot says it shows only the first ones
MAX_PANELS = 6  # metrics in the forest plot: those where a variant differs first, in the registry's order
TIME_USE = [
    ("coding_minutes", "coding", "#4c78a8"),
    ("query_minutes", "writing queries", "#f2a541"),
    ("interrupted_minutes", "billing questions", "#e45756"),
    ("break_minutes", "breaks", "#9d9d9d"),
    ("idle_minutes", "idle (no chart)", "#d8d8d8"),
]


def _names(column: pd.Series) -> list[str]:
    """Distinct names in order of first appearance (without a Python object per row of a million-row column)."""
    return [str(v) for v in pd.unique(column)]


def _factorize(column: pd.Series, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The names in ``column[rows]`` in order of first appearance, and each of those rows' index into them.

    A categorical column (a big table read by :mod:`sim.report.read`) keeps
    its small integer codes: a million rows cost a MB, not a Python object each.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()[rows]
        present, first = np.unique(codes, return_index=True)
        order = present[np.argsort(first)]
        remap = np.empty(len(column.cat.categories), dtype=codes.dtype)
        remap[order] = np.arange(len(order), dtype=codes.dtype)
        return [str(column.cat.categories[c]) for c in order], remap[codes]
    codes, uniques = pd.factorize(column.to_numpy()[rows])
    return [str(u) for u in uniques], codes


def _after_warmup(frame: pd.DataFrame) -> pd.DataFrame:
    if "warmup" in frame:
        keep = ~frame["warmup"].astype(str).str.lower().isin(("true", "1"))
        return frame.loc[keep]
    return frame


def _worked(frame: pd.DataFrame) -> pd.DataFrame:
    """The coder-days worked: days away (``absent_minutes`` > 0) left out, as the metrics leave them out.

    Per-coder-day figures describe the days worked; absent days only count in pay and shrinkage
    (see :func:`sim.runs.metrics.replication_metrics`).
    """
    if "absent_minutes" in frame:  # empty (NaN) in the rows of a variant that does not model absence: worked
        return frame.loc[~(frame["absent_minutes"].to_numpy(dtype=float) > 0)]
    return frame


def _ci(summary: pd.DataFrame | None, variant: str, metric: str) -> tuple[float, float, float]:
    if summary is None:
        return np.nan, np.nan, np.nan
    row = summary.loc[(summary["variant"] == variant) & (summary["metric"] == metric)]
    if row.empty:
        return np.nan, np.nan, np.nan
    r = row.iloc[0]
    return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])


def _width(n_variants: int) -> float:
    return 8.0 if n_variants <= 2 else 10.0


def _legend(ax, n_variants: int, inside: str) -> None:
    """Inside the axes for one or two variants, to the right of it for more (so it never hides data)."""
    if n_variants <= 2:
        ax.legend(fontsize=8, frameon=False, loc=inside)
    else:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _shown(variants: list[str]) -> tuple[list[str], str]:
    if len(variants) <= MAX_LINES:
        return variants, ""
    return variants[:MAX_LINES], f" (first {MAX_LINES} of {len(variants)} variants shown)"


def _days_shown(coder_days: pd.DataFrame | None, key: str, title: str) -> tuple[pd.DataFrame, pd.DataFrame] | Plot:
    """The coder-days after warm-up and those of them worked, or the note that replaces a figure without them."""
    scheduled = _after_warmup(coder_days) if coder_days is not None else None
    if scheduled is None or scheduled.empty:
        return omitted(key, title, NO_CODER_DAYS if scheduled is None else "No coder-days after warm-up to show.")
    worked = _worked(scheduled)
    if worked.empty:
        return omitted(key, title, "No coder-day worked after warm-up to show: every coder was away.")
    return scheduled, worked


def charts_per_day(coder_days: pd.DataFrame | None, summary: pd.DataFrame | None) -> Plot:
    """Distribution of charts per coder-day worked per variant, mean and CI marked, documented range shaded.

    Days away (leave, sickness) are left out, as ``charts_per_coder_day`` leaves them out: a day away is no
    day with no chart coded.
    """
    key, title = "charts_per_day", "Charts coded per coder-day"
    shown = _days_shown(coder_days, key, title)
    if isinstance(shown, Plot):
        return shown
    scheduled, cd = shown
    variants, cut = _shown(_names(cd["variant"]))
    fig = new_figure(_width(len(variants)), 4.2)
    ax = fig.add_subplot()
    ax.axvspan(DOCUMENTED_LOW, DOCUMENTED_HIGH, color="#3a8f4a", alpha=0.12, label="documented 20–30+ per day")
    if len(variants) == 1:
        x = cd["charts_coded"].to_numpy(dtype=float)
        bins = np.arange(np.floor(x.min()) - 0.5, np.ceil(x.max()) + 1.5)
        ax.hist(x, bins=bins, weights=np.full(len(x), 100 / len(x)), color=PALETTE[0], alpha=0.85, label="coder-days")
        mean, low, high = _ci(summary, variants[0], "charts_per_coder_day")
        top = ax.get_ylim()[1] * 1.08
        if np.isfinite(low):
            ax.errorbar([mean], [top], xerr=[[mean - low], [high - mean]], fmt="D", color="black", ms=5, capsize=4,
                        label=f"mean {mean:.1f}, 95% CI {low:.1f}–{high:.1f}")
        elif np.isfinite(mean):
            ax.plot([mean], [top], "D", color="black", ms=5, label=f"mean {mean:.1f}")
        ax.set_ylim(0, top * 1.1)
        ax.set_ylabel("share of coder-days worked (%)")
    else:
        for i, v in enumerate(variants):
            colour = PALETTE[i % len(PALETTE)]
            ax.step(*ecdf(cd.loc[cd["variant"] == v, "charts_coded"].to_numpy(dtype=float)), where="post", color=colour,
                    label=text(v))
            mean, low, high = _ci(summary, v, "charts_per_coder_day")
            if np.isfinite(low):
                y = 4 + 5 * i
                ax.errorbar([mean], [y], xerr=[[mean - low], [high - mean]], fmt="o", color=colour, ms=4, capsize=3)
        ax.set_ylabel("coder-days worked at or below (%)")
        ax.set_ylim(0, 102)
    ax.set_xlabel("charts coded in a coder-day worked (charts)")
    ax.set_title(title + (" — mean ± 95% CI as dots" if len(variants) > 1 else "") + cut)
    _legend(ax, len(variants), "upper left")
    base = cd.loc[cd["variant"] == variants[0], "charts_coded"]
    mean, low, high = _ci(summary, variants[0], "charts_per_coder_day")
    ci = f" (95% CI {low:.1f}–{high:.1f})" if np.isfinite(low) else ""
    away = int((scheduled["variant"] == variants[0]).sum()) - len(base)
    reading = (
        f"{text(variants[0])}: {mean:.1f} charts per coder-day worked on average{ci}; "
        f"{(base >= DOCUMENTED_LOW).mean():.0%} of the coder-days worked reach the documented 20 or more"
        + (f" ({away:,} coder-days away on leave or sick are left out)." if away else ".")
    )
    return Plot(key, title, reading, to_png(fig))


def forest(comparison: pd.DataFrame | None) -> Plot:
    """Paired differences (variant − base) with their CIs, one panel per headline metric."""
    key, title = "forest", "Variants against the base: paired differences"
    if comparison is None or comparison.empty:
        return omitted(key, title, "This run has no variants, so there is nothing to compare with the base.")
    comp = comparison.loc[np.isfinite(comparison["difference"].astype(float))]
    metrics = _forest_metrics(comp)
    if not metrics:
        return omitted(key, title, "No headline metric has a finite difference to show.")
    variants = list(dict.fromkeys(comp["variant"]))
    cols = 2 if len(metrics) > 1 else 1
    rows = -(-len(metrics) // cols)
    fig = new_figure(9, rows * (0.9 + 0.32 * len(variants)) + 0.6)
    # Every panel lists the same variants in the same order: one shared axis, named in the left column only.
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True).ravel()
    level = float(comp["confidence"].iloc[0]) if "confidence" in comp else 0.95
    for ax, metric in zip(axes, metrics):
        m = comp.loc[comp["metric"] == metric].set_index("variant").reindex(variants)
        y = np.arange(len(variants))[::-1]
        u = unit(metric)
        k = 100.0 if u == "share" else 1.0
        d = m["difference"].to_numpy(dtype=float) * k
        lo, hi = m["ci_low"].to_numpy(dtype=float) * k, m["ci_high"].to_numpy(dtype=float) * k
        sig = (lo > 0) | (hi < 0)
        has_ci = ~np.isnan(lo)
        # one errorbar call per colour (and with or without a CI), not one per row: a few artists, not dozens
        for s, c in ((True, True), (True, False), (False, True), (False, False)):
            rows = (sig == s) & (has_ci == c)
            if rows.any():
                err = [d[rows] - lo[rows], hi[rows] - d[rows]] if c else None
                ax.errorbar(d[rows], y[rows], xerr=err, fmt="o", color="#b03a48" if s else "#5f6b73", ms=4, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [text(v, 28) for v in variants], fontsize=8)
        ax.tick_params(axis="y", labelleft=ax.get_subplotspec().is_first_col())
        ax.set_xlabel(f"variant − base ({'percentage points' if u == 'share' else u})", fontsize=8)
        ax.set_title("\n".join(textwrap.wrap(text(doc(metric), 90), 46)), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"{title} — {level:.1%} CIs (Bonferroni), red = differs from base", fontsize=10)
    n_sig = int(comp.loc[comp["metric"].isin(metrics), "significant"].astype(str).str.lower().eq("true").sum())
    total = int(comp["metric"].isin(metrics).sum())
    reading = f"{n_sig} of {total} variant effects shown differ from the base at the {level:.1%} level."
    cpd = comp.loc[comp["metric"] == "charts_per_coder_day"]
    if not cpd.empty:
        best = cpd.loc[cpd["difference"].astype(float).abs().idxmax()]
        reading += (
            f" Largest change in charts per coder-day: {text(best['variant'])} "
            f"({fmt(float(best['difference']), signed=True)}, CI {fmt(float(best['ci_low']), signed=True)} to "
            f"{fmt(float(best['ci_high']), signed=True)})."
        )
    return Plot(key, title, reading, to_png(fig))


def _forest_metrics(comp: pd.DataFrame) -> list[str]:
    """Up to MAX_PANELS outcome metrics (registry: headline, with a better direction); those a variant moves first."""
    have = set(comp["metric"])
    names = [m for m in outcome_names([], per_type=False) if m in have]
    differs = set(comp.loc[comp["significant"].astype(str).str.lower().eq("true"), "metric"]) if "significant" in comp else set()
    chosen = sorted(names, key=lambda m: m not in differs)[:MAX_PANELS]
    return [m for m in names if m in chosen]


def _by_day(
    days: pd.DataFrame, warmup: int, column: str, centre: str, band: tuple[float, float], scale: float = 1.0,
) -> tuple[Figure, Axes, str, list[tuple[str, pd.Series, pd.DataFrame]]]:
    """A figure of ``column`` day by day: per variant its ``centre`` (median or mean) in a band of replications.

    Returns the figure, its axes, the title's note on variants left out, and
    per variant drawn (name, centre by day, band by day), all divided by ``scale``.
    """
    variants, cut = _shown(_names(days["variant"]))
    fig = new_figure(_width(len(variants)), 4)
    ax = fig.add_subplot()
    if warmup > 0:
        ax.axvspan(-0.5, warmup - 0.5, color="#bbbbbb", alpha=0.3, label=f"warm-up ({warmup} days, left out)")
    drawn = []
    for i, v in enumerate(variants):
        by_day = days.loc[days["variant"] == v].groupby("day")[column]
        mid = (by_day.median() if centre == "median" else by_day.mean()) / scale
        q = by_day.quantile(list(band)).unstack() / scale
        colour = PALETTE[i % len(PALETTE)]
        ax.fill_between(q.index, q[band[0]], q[band[1]], color=colour, alpha=0.15, lw=0)
        ax.plot(mid.index, mid.to_numpy(), color=colour, lw=1.8, label=text(v))
        drawn.append((v, mid, q))
    ax.set_xlabel("day of the run (day 0 = first day)")
    ax.set_ylim(bottom=0)
    _legend(ax, len(variants), "upper left")
    return fig, ax, cut, drawn


def backlog_by_day(days: pd.DataFrame | None, warmup: int = 0) -> Plot:
    """Backlog at the end of each day: median and 5–95th percentile band across replications."""
    key, title = "backlog", "Backlog at the end of each day"
    if days is None:
        return omitted(key, title, "Not drawn: this folder has no days.csv (a staffing search keeps only its curve).")
    if days["day"].nunique() < 2:
        return omitted(key, title, "Not drawn: the run covers a single day, so there is no day-to-day backlog to follow.")
    fig, ax, cut, drawn = _by_day(days, warmup, "backlog", "median", (0.05, 0.95))
    v, median, band = drawn[0]
    kept = median.loc[median.index >= warmup]
    slope = np.polyfit(kept.index, kept.to_numpy(), 1)[0] if len(kept) > 1 else 0.0
    last = median.index[-1]
    reading = (
        f"{text(v)}: median backlog {median[last]:.0f} charts at the end of day {last} "
        f"(90% of replications {band.loc[last, 0.05]:.0f}–{band.loc[last, 0.95]:.0f}); after warm-up it changes by "
        f"{slope:+.1f} charts a day."
    )
    ax.set_ylabel("charts not yet coded at day end (charts)")
    ax.set_title(f"{title} — median, band 5–95% of replications{cut}")
    return Plot(key, title, reading, to_png(fig))


def turnaround(charts: pd.DataFrame | None, warmup: int = 0, target_days: float | None = None) -> Plot:
    """Distribution (ECDF) of arrival-to-coded time of coded charts, per variant."""
    key, title = "turnaround", "Turnaround: arrival to coded"
    if charts is None:
        return omitted(key, title, "Not drawn: this folder has no charts.csv (chartsim run keeps it unless --no-charts).")
    # numpy over whole columns: a million-chart run costs a few arrays, not copies of the table
    arrived = charts["arrived_at"].to_numpy(dtype=float)
    kept = arrived >= warmup * DAY
    names, variant_of = _factorize(charts["variant"], kept)
    t_days = charts["coded_at"].to_numpy(dtype=float)[kept]
    t_days -= arrived[kept]
    t_days /= DAY
    is_coded = ~np.isnan(t_days)
    if not is_coded.any():
        return omitted(key, title, "Not drawn: no chart was coded after the warm-up.")
    t_days, coded_variant = t_days[is_coded], variant_of[is_coded]
    in_hours = np.quantile(t_days, 0.95) < 2
    scale, unit_name = (24, "hours") if in_hours else (1, "days")
    variants, cut = _shown(names)
    fig = new_figure(_width(len(variants)), 4)
    ax = fig.add_subplot()
    for i, v in enumerate(variants):
        mine = t_days[coded_variant == i] * scale
        if len(mine):
            ax.step(*ecdf(mine), where="post", color=PALETTE[i % len(PALETTE)], label=text(v))
    _turnaround_axes(ax, float(np.quantile(t_days, 0.99)), float(t_days.max()), target_days, scale, unit_name,
                     title + cut, len(variants))
    base = t_days[coded_variant == 0] * scale
    open_share = 1 - is_coded[variant_of == 0].mean()
    median, p95 = (np.quantile(base, [0.5, 0.95]) if len(base) else (np.nan, np.nan))
    reading = (
        f"{text(variants[0])}: half the coded charts took under {median:.1f} {unit_name}, 95% under "
        f"{p95:.1f} {unit_name}; {open_share:.0%} of charts were still not coded at the end "
        "(not in the curve)."
    )
    return Plot(key, title, reading, to_png(fig))


def _turnaround_axes(ax: Axes, p99: float, longest: float, target_days: float | None, scale: float, unit_name: str,
                     title: str, n_variants: int) -> None:
    """The turnaround figure's axes: cut a little above the 99th percentile (in days), the target line if near."""
    right = p99 * scale * 1.15
    if target_days is not None and target_days * scale <= 1.5 * right:
        ax.axvline(target_days * scale, color="#b03a48", ls="--", lw=1, label=f"target {target_days:g} days")
        right = max(right, target_days * scale * 1.1)
    cut_tail = right < longest * scale
    ax.set_xlim(left=0, right=right)
    ax.set_xlabel(f"arrival to coded ({unit_name})" + (" — axis cut above the 99th percentile" if cut_tail else ""))
    ax.set_ylabel("coded charts done within (%)")
    ax.set_ylim(0, 102)
    ax.set_title(title)
    _legend(ax, n_variants, "lower right")


def _quantile_of_counts(bins: pd.DataFrame, q: float) -> float:
    """The q-quantile, in days, of binned turnaround (``from_minutes``, ``to_minutes``, ``charts``), linear within its bin."""
    b = bins.sort_values("from_minutes")
    if b.empty or b["charts"].sum() == 0:
        return float("nan")
    cum = np.cumsum(b["charts"].to_numpy(dtype=np.int64))
    lower, upper = b["from_minutes"].to_numpy(dtype=float), b["to_minutes"].to_numpy(dtype=float)
    k = min(int(np.searchsorted(cum, q * cum[-1])), len(cum) - 1)
    before = cum[k - 1] if k > 0 else 0
    inside = cum[k] - before
    frac = (q * cum[-1] - before) / inside if inside else 1.0
    return float(lower[k] + (upper[k] - lower[k]) * min(max(frac, 0.0), 1.0)) / DAY


def turnaround_counts(counts: pd.DataFrame | None, target_days: float | None = None) -> Plot:
    """The turnaround figure drawn from ``turnaround.csv`` (coded charts by 5-minute bin), not every chart.

    The same curve as :func:`turnaround` to within one bin: each step is at a
    bin's upper edge, so "done within" never flatters the department.
    """
    key, title = "turnaround", "Turnaround: arrival to coded"
    if counts is None or counts.empty:
        return omitted(key, title, "Not drawn: this run has no turnaround counts.")
    coded = counts.loc[counts["status"] == "coded"]
    if coded.empty or coded["charts"].sum() == 0:
        return omitted(key, title, "Not drawn: no chart was coded after the warm-up.")
    variants, cut = _shown(list(dict.fromkeys(counts["variant"])))
    curves = {}
    for v in variants:
        c = coded.loc[coded["variant"] == v].sort_values("to_minutes")
        curves[v] = (c["to_minutes"].to_numpy(dtype=float) / DAY, np.cumsum(c["charts"].to_numpy(dtype=np.int64)))
    in_hours = _quantile_of_counts(coded, 0.95) < 2
    scale, unit_name = (24, "hours") if in_hours else (1, "days")
    fig = new_figure(_width(len(variants)), 4)
    ax = fig.add_subplot()
    for i, v in enumerate(variants):
        x, n = curves[v]
        if len(x):
            ax.step(np.append(0.0, x * scale), np.append(0.0, n / n[-1] * 100), where="post",
                    color=PALETTE[i % len(PALETTE)], label=text(v))
    _turnaround_axes(ax, _quantile_of_counts(coded, 0.99), float(coded["to_minutes"].max()) / DAY, target_days,
                     scale, unit_name, title + cut, len(variants))
    base = counts.loc[counts["variant"] == variants[0]]
    first = coded.loc[coded["variant"] == variants[0]]
    open_share = base.loc[base["status"] == "open", "charts"].sum() / max(1, base["charts"].sum())
    reading = (
        f"{text(variants[0])}: half the coded charts took under {_quantile_of_counts(first, 0.5) * scale:.1f} "
        f"{unit_name}, 95% under {_quantile_of_counts(first, 0.95) * scale:.1f} {unit_name}; {open_share:.0%} of "
        "charts were still not coded at the end (not in the curve)."
    )
    return Plot(key, title, reading, to_png(fig))


def time_use(coder_days: pd.DataFrame | None) -> Plot:
    """Mean minutes per coder-day worked spent coding, writing queries, on billing questions, on breaks, idle (and
    reworking and auditing when the run modelled them).

    Days away are left out of the bars, as the key results leave them out; when the run modelled absence the
    reading gives shrinkage (days away and breaks over the scheduled shift minutes of every coder-day) as the
    ``shrinkage`` metric defines it.
    """
    key, title = "time_use", "How a coder's paid time is spent"
    shown = _days_shown(coder_days, key, title)
    if isinstance(shown, Plot):
        return shown
    scheduled, cd = shown
    # Columns of a section only some variants model (a variant's own accuracy, audits, absence) are empty in
    # the others' rows: those spend no minutes on it, and their reading does not mention it.
    optional = [c for c in ("rework_minutes", "audit_minutes", "absent_minutes") if c in scheduled]
    first = scheduled.loc[scheduled["variant"] == scheduled["variant"].iloc[0]]
    modelled = {c for c in optional if first[c].notna().any()}
    cd = cd.fillna({c: 0.0 for c in optional})
    segments = _time_use_segments(cd)
    if "rework_minutes" in cd:  # rework is part of coding_minutes: shown as its own share of it
        cd = cd.assign(coding_minutes=cd["coding_minutes"] - cd["rework_minutes"])
    means = cd.groupby("variant", sort=False)[[c for c, _, _ in segments]].mean()
    variants, cut = _shown(list(means.index))
    means = means.loc[variants]
    fig = new_figure(8, 1.4 + 0.45 * len(variants))
    ax = fig.add_subplot()
    y = np.arange(len(variants))[::-1]
    left = np.zeros(len(variants))
    total = means.sum(axis=1).to_numpy()
    for col, label, colour in segments:
        width = means[col].to_numpy()
        ax.barh(y, width, left=left, color=colour, label=label, height=0.6)
        for yi, li, wi, ti in zip(y, left, width, total):
            if ti > 0 and wi / ti >= 0.06:
                ax.text(li + wi / 2, yi, f"{wi / ti:.0%}", ha="center", va="center", fontsize=8)
        left += width
    ax.set_yticks(y, [text(v, 28) for v in variants], fontsize=8)
    absence = "absent_minutes" in scheduled
    ax.set_xlabel("minutes per coder-day worked (mean over the coder-days worked after warm-up"
                  + ("; days away are in the shrinkage)" if absence else ")"))
    ax.set_title(title + cut)
    ax.legend(ncols=min(5, len(segments)), fontsize=8, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.35 / max(1, len(variants) ** 0.5)))
    b = means.iloc[0]
    t = b.sum()
    reading = (
        f"{text(variants[0])}: of {t:.0f} minutes a day worked, {b['coding_minutes'] / t:.0%} go to coding, "
        f"{b['query_minutes'] / t:.0%} to writing queries, {b['interrupted_minutes'] / t:.0%} to billing questions, "
        f"{b['break_minutes'] / t:.0%} to breaks and {b['idle_minutes'] / t:.0%} waiting for work."
    )
    if "rework_minutes" in modelled:
        reading += f" Reworking charts whose errors were found takes {b['rework_minutes'] / t:.0%}."
    if "audit_minutes" in modelled:
        reading += f" Auditing coded charts before billing takes {b['audit_minutes'] / t:.0%}."
    shares = _shrinkage(first) if "absent_minutes" in modelled else (np.nan, np.nan)
    if np.isfinite(shares).all():
        away, breaks = _percents_that_add(*shares)
        reading += (
            f" Shrinkage, the scheduled shift minutes of every coder-day lost to days away and breaks, is "
            f"{away + breaks}%: {away}% days away on leave or sick and {breaks}% breaks."
        )
    return Plot(key, title, reading, to_png(fig))


def _shrinkage(scheduled: pd.DataFrame) -> tuple[float, float]:
    """Days away and breaks as shares of the scheduled shift minutes, mean over replications (the ``shrinkage``
    metric and its two parts).

    A day away's scheduled minutes are its ``absent_minutes``; a day worked's are its paid minutes less the
    overtime granted and the time past the shift (``paid = shift + overtime + after_shift``).
    """
    absent = scheduled["absent_minutes"].to_numpy(dtype=float)
    shift = np.where(absent > 0, absent, scheduled["paid_minutes"].to_numpy(dtype=float)
                     - scheduled["overtime_minutes"].to_numpy(dtype=float)
                     - scheduled["after_shift_minutes"].to_numpy(dtype=float))
    sums = pd.DataFrame({"absent": absent, "breaks": scheduled["break_minutes"].to_numpy(dtype=float), "shift": shift},
                        ).groupby(scheduled["replication"].to_numpy()).sum()
    return float((sums["absent"] / sums["shift"]).mean()), float((sums["breaks"] / sums["shift"]).mean())


def _percents_that_add(*shares: float) -> list[int]:
    """Shares as whole percents that add up to their rounded total (largest remainder), so a sentence's parts
    and its total agree."""
    exact = [100 * s for s in shares]
    whole = [int(np.floor(e)) for e in exact]
    missing = int(round(sum(exact))) - sum(whole)
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - whole[i], reverse=True)[:max(missing, 0)]:
        whole[i] += 1
    return whole


def _time_use_segments(cd: pd.DataFrame) -> list[tuple[str, str, str]]:
    """TIME_USE, with rework and audits after coding when the run modelled them."""
    segments = list(TIME_USE)
    if "audit_minutes" in cd:
        segments.insert(1, ("audit_minutes", "auditing charts", "#54a24b"))
    if "rework_minutes" in cd:
        segments.insert(1, ("rework_minutes", "reworking errors", "#72b7b2"))
    return segments


def dnfb_by_day(days: pd.DataFrame | None, warmup: int = 0) -> Plot:
    """Dollars waiting on coding (DNFB) at the end of each day: mean and 10–90 % band across replications."""
    key, title = "dnfb", "DNFB dollars by day"
    if days is None or "dnfb_dollars" not in days:
        return omitted(key, title, "Not drawn: this run has no revenue section, so no DNFB dollars.")
    # Only variants with a revenue section have DNFB dollars (the others' cells are empty): those are drawn.
    counted = days.groupby("variant", sort=False, observed=True)["dnfb_dollars"].transform("count").to_numpy() > 0
    without = list(dict.fromkeys(days.loc[~counted, "variant"]))
    days = days.loc[counted]
    if days.empty:
        return omitted(key, title, "Not drawn: no variant of this run has a revenue section, so no DNFB dollars.")
    fig, ax, cut, drawn = _by_day(days, warmup, "dnfb_dollars", "mean", (0.1, 0.9), scale=1e3)
    v, mean, band = drawn[0]
    kept = mean.loc[mean.index >= warmup]
    peak = kept.idxmax() if not kept.empty else mean.idxmax()
    reading = (
        f"{text(v)}: on average ${kept.mean() * 1e3:,.0f} waits on coding at the end of a day after warm-up, "
        f"highest on day {peak} (mean ${mean[peak] * 1e3:,.0f}; 80% of replications "
        f"${band.loc[peak, 0.1] * 1e3:,.0f}–${band.loc[peak, 0.9] * 1e3:,.0f})."
    )
    if without:
        reading += f" Not drawn, having no revenue section: {', '.join(text(w) for w in without)}."
    ax.set_ylabel("DNFB at day end (thousand $)")
    ax.set_title(f"{title} — mean, band 10–90% of replications{cut}")
    return Plot(key, title, reading, to_png(fig))


def staffing_curve(
    staffing: pd.DataFrame | None, target: dict | None = None, meta: dict | None = None, level: float | None = None,
) -> Plot:
    """Main-team coders against the target metric (mean and interval) and the chance the target is met.

    The interval is labelled with its real level: ``level``, else the
    ``ci_level`` column or ``meta['ci_level_two_sided']`` (a staffing search
    at confidence c shows the two-sided 2c − 1 interval, 80 % for c = 0.9).
    ``meta`` (staffing.json) also gives the fixed teams, for the headcount in
    all, and why the target was not met.
    """
    key, title = "staffing", "Staffing curve: coders against the target"
    if staffing is None or staffing.empty:
        return omitted(key, title, "Not drawn: this folder holds no staffing search (made by chartsim staff).")
    meta = meta or {}
    s = staffing.sort_values("coders")
    if level is None and "ci_level" in s and s["ci_level"].notna().any():
        level = float(s["ci_level"].dropna().iloc[0])
    if level is None and isinstance(meta.get("ci_level_two_sided"), (int, float)):
        level = float(meta["ci_level_two_sided"])
    # At confidence c ≤ 50 % the two-sided level 2c − 1 is ≤ 0: the "interval" is inverted (ci_low above
    # ci_high), not an interval at all, so no bars are drawn and the reading says why.
    no_interval = level is not None and level <= 0
    ci_label = ("no interval" if no_interval else f"{level:.0%} CI") if level is not None else "CI (level not recorded)"
    has_p = {"p_met", "p_met_low", "p_met_high"} <= set(s.columns)
    fig = new_figure(8, 5.6 if has_p else 3.8)
    axes = fig.subplots(2 if has_p else 1, 1, sharex=True, squeeze=False).ravel()
    x = s["coders"].to_numpy(dtype=float)
    metric = str((target or {}).get("metric", "target metric"))
    k = 100.0 if unit(metric) == "share" else 1.0  # a share is drawn in %, as every page and table shows it
    mean = s["mean"].to_numpy(dtype=float) * k
    met = s["met"].astype(str).str.lower().eq("true").to_numpy() if "met" in s else np.zeros(len(s), bool)
    value = (target or {}).get("value")
    value = value * k if isinstance(value, (int, float)) else value
    ax = axes[0]
    err = np.array([mean - s["ci_low"].to_numpy(dtype=float) * k, s["ci_high"].to_numpy(dtype=float) * k - mean])
    drawn = not no_interval and bool((np.nan_to_num(err, nan=0.0) >= 0).all())  # every bar a real interval
    ax.errorbar(x, mean, yerr=err if drawn else None, fmt="-o", color=PALETTE[0], capsize=3,
                label=f"mean, {ci_label}")
    if met.any():
        ax.plot(x[met], mean[met], "o", ms=9, mfc="none", mec="#3a8f4a", mew=2, label="target met")
    if isinstance(value, (int, float)):
        op = {"<=": "≤", ">=": "≥"}.get(str((target or {}).get("op")), str((target or {}).get("op", "")))
        ax.axhline(float(value), color="#b03a48", ls="--", lw=1, label=f"target {op} {value:g}")
    ax.set_ylabel(f"{text(metric)} ({'%' if k == 100 else unit(metric) or 'metric units'})", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title)
    if has_p:
        p = s["p_met"].to_numpy(dtype=float) * 100
        perr = [p - s["p_met_low"].to_numpy(dtype=float) * 100, s["p_met_high"].to_numpy(dtype=float) * 100 - p]
        axes[1].errorbar(x, p, yerr=perr, fmt="-o", color=PALETTE[1], capsize=3)
        axes[1].set_ylabel("replications meeting target (%)\n(95% Wilson interval)", fontsize=9)
        axes[1].set_ylim(-2, 102)
    teams = meta.get("fixed_teams") or {}
    fixed = ", ".join(f"{k} {v}" for k, v in teams.items())
    axes[-1].set_xlabel("main-team coders" + (f" (fixed teams: {text(fixed, 60)})" if fixed else ""))
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    if met.any():
        n = int(x[met].min())
        row = s.loc[s["coders"] == n].iloc[0]
        total = int(row["total_coders"]) if "total_coders" in s and not pd.isna(row["total_coders"]) else None
        extra = f" ({total} in all with the fixed teams)" if total is not None and teams else ""
        reading = f"The smallest main team tried that meets the target is {n} coder{'' if n == 1 else 's'}{extra}."
    else:
        short = (meta.get("shortfall") or {}).get("text")
        reading = "No staffing level tried meets the target" + (f": {short}." if short else ".")
    if no_interval:
        reading += (f" No interval is drawn about the means: at a confidence of 50 % or less the two-sided level "
                    f"2c − 1 is {level:.0%}, so the one-sided bound lies on the favourable side of the mean.")
    elif not drawn:
        reading += " No interval is drawn about the means: an interval's ends lie on the wrong side of its mean."
    return Plot(key, title, reading, to_png(fig))
