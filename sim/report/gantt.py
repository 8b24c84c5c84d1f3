"""One coder's day as a timeline: the "day in the life" at a glance.

Each chart the coder worked is a bar coloured by chart type; a chart that
needed a physician query is worked twice — read and query written (ending at
the triangle), then finished when the answer is back (hatched). Breaks are
not in the chart records: the model takes a break at its set time once the
chart in hand is done, so each break is placed at the first free moment at or
after its clock time. Billing questions sit inside the bars they interrupted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from sim.report.figures import TYPE_COLOURS, Plot, new_figure, omitted, text, to_png

DAY = 1440.0


def _clock(text_: str) -> float:
    h, m = str(text_).split(":")
    return int(h) * 60.0 + int(m)


def segments(charts: pd.DataFrame) -> pd.DataFrame:
    """Work intervals of charts: (chart_id, chart_type, start, end, part) with part 'first' or 'completion'."""
    first_end = charts["query_sent_at"].where(charts["query_sent_at"].notna(), charts["coded_at"])
    first = pd.DataFrame(
        {"chart_id": charts["chart_id"], "chart_type": charts["chart_type"], "start": charts["started_at"],
         "end": first_end, "part": "first", "queried": charts["query_sent_at"].notna()}
    )
    back = charts.loc[charts["resumed_at"].notna()]
    second = pd.DataFrame(
        {"chart_id": back["chart_id"], "chart_type": back["chart_type"], "start": back["resumed_at"],
         "end": back["coded_at"], "part": "completion", "queried": False}
    )
    out = pd.concat([first, second], ignore_index=True).dropna(subset=["start"])
    return out.sort_values("start").reset_index(drop=True)


def first_part_owners(charts: pd.DataFrame) -> pd.Series:
    """Who read each queried chart before its query (index: chart_id).

    ``charts.csv`` names the coder who *finished* a chart; after a query another
    coder may have read it first. Coders work back to back, so the reader is the
    coder who became free latest at or before the chart was opened and whose own
    known work does not overlap it.
    """
    known = segments(charts.assign(query_sent_at=charts["query_sent_at"]))
    coder_of = charts.set_index("chart_id")["coder"]
    known["coder"] = known["chart_id"].map(coder_of)
    unknown = known.loc[known["queried"]].sort_values("start")
    known = known.loc[~known["queried"]]
    busy = {c: g[["start", "end"]].to_numpy(dtype=float) for c, g in known.groupby("coder")}
    owners = {}
    for _, seg in unknown.iterrows():
        best, best_free = seg["coder"], -np.inf
        for c, spans in busy.items():
            if ((spans[:, 0] < seg["end"] - 1e-9) & (spans[:, 1] > seg["start"] + 1e-9)).any():
                continue
            ended = spans[spans[:, 1] <= seg["start"] + 1e-9, 1]
            free = ended.max() if len(ended) else -np.inf
            if free > best_free:
                best, best_free = c, free
        owners[seg["chart_id"]] = best
        spans = busy.get(best, np.empty((0, 2)))
        busy[best] = np.vstack([spans, [[seg["start"], seg["end"]]]])
    return pd.Series(owners, dtype=float)


def place_breaks(work: pd.DataFrame, breaks: list[dict], day_start: float) -> list[tuple[str, float, float]]:
    """(name, start, minutes) for each break: first moment at or after its time when no chart is in hand."""
    spans = work[["start", "end"]].dropna().to_numpy(dtype=float)
    placed = []
    free_from = -np.inf
    for b in sorted(breaks, key=lambda b: _clock(b["at"])):
        t = max(day_start - (day_start % DAY) + _clock(b["at"]), free_from)
        for start, end in spans:
            if start < t < end:
                t = end
        placed.append((str(b.get("name", "break")), t, float(b["minutes"])))
        free_from = t + float(b["minutes"])
    return placed


def coder_day(
    charts: pd.DataFrame | None,
    scenario: dict,
    coder_days: pd.DataFrame | None = None,
    variant: str = "base",
    replication: int | None = None,
    coder: int | None = None,
    day: int | None = None,
) -> Plot:
    """Timeline of one coder's working day (by default: the base, first replication, first coder, first day after warm-up)."""
    key, title = "gantt", "One coder's day"
    if charts is None:
        return omitted(key, title, "Not drawn: this folder has no charts.csv (chartsim run keeps it unless --no-charts).")
    ch = charts.loc[(charts["variant"] == variant) & charts["coder"].notna()]
    if ch.empty:
        return omitted(key, title, f"Not drawn: no chart was worked in {text(variant)}.")
    replication = int(ch["replication"].min()) if replication is None else replication
    ch = ch.loc[ch["replication"] == replication]
    coder = int(ch["coder"].min()) if coder is None else coder
    work = segments(ch)
    work["coder"] = work["chart_id"].map(ch.set_index("chart_id")["coder"])
    if "started_by" in ch:  # the reader of a queried chart, when the run records it
        first = work["part"] == "first"
        work.loc[first, "coder"] = work.loc[first, "chart_id"].map(ch.set_index("chart_id")["started_by"])
    elif ch["query_sent_at"].notna().any() and ch["coder"].nunique() > 1:
        owners = first_part_owners(ch)
        first = (work["part"] == "first") & work["queried"]
        work.loc[first, "coder"] = work.loc[first, "chart_id"].map(owners)
    work = work.loc[work["coder"] == coder]
    if day is None:
        day = int(work["start"].min() // DAY)
        if coder_days is not None and "warmup" in coder_days:
            mine = coder_days.loc[
                (coder_days["variant"] == variant) & (coder_days["replication"] == replication)
                & (coder_days["coder"] == coder) & ~coder_days["warmup"].astype(str).str.lower().eq("true")
            ]
            worked = sorted(set(mine["day"]) & set((work["start"] // DAY).astype(int)))
            day = int(worked[0]) if worked else day
    shift = scenario.get("shift") or {}
    start = day * DAY + _clock(shift.get("start", "08:00"))
    end = day * DAY + _clock(shift.get("end", "16:30"))
    today = work.loc[(work["start"] < end + 240) & (work["end"].fillna(np.inf) > start) & (work["start"] >= start - 1)]
    if today.empty:
        return omitted(key, title, f"Not drawn: coder {coder} worked no chart on day {day}.")
    types = list((scenario.get("chart_types") or {}).keys()) or sorted(ch["chart_type"].unique())
    colour = {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(types)}
    last = float(today["end"].fillna(end).max())
    right = max(end, last)
    fig = new_figure(10, 2.9)
    ax = fig.add_subplot()
    ax.axvspan(start, end, color="#f4f4f4", zorder=0)
    for _, s in today.iterrows():
        seg_end = s["end"] if np.isfinite(s["end"]) else right
        ax.barh(1, seg_end - s["start"], left=s["start"], height=0.55, color=colour.get(s["chart_type"], "#888888"),
                edgecolor="white", linewidth=0.6, hatch="////" if s["part"] == "completion" else None)
        if s["queried"]:
            ax.plot(seg_end, 1.42, marker="v", color="black", ms=6)
    breaks = place_breaks(work, list(scenario.get("breaks") or []), start)
    for name, b_start, minutes in breaks:
        if b_start < right:
            ax.barh(0, minutes, left=b_start, height=0.45, color="#9d9d9d")
            ax.text(b_start + minutes / 2, -0.42, text(name, 18), ha="center", va="top", fontsize=7)
    ticks = np.arange(np.floor(start / 60) * 60, right + 60, 60)
    ax.set_xticks(ticks, [f"{int(t % DAY) // 60:02d}:00" for t in ticks], fontsize=8)
    ax.set_xlim(start - 10, right + 10)
    ax.set_yticks([0, 1], ["breaks", "charts"])
    ax.set_ylim(-0.9, 1.7)
    ax.set_xlabel(f"clock time on day {day} (shift {shift.get('start', '08:00')}–{shift.get('end', '16:30')} shaded)")
    ax.set_title(f"{title}: coder {coder}, replication {replication}, day {day} ({text(variant)})")
    handles = [Patch(color=colour[t], label=text(t, 20)) for t in types if t in set(today["chart_type"])]
    if (today["part"] == "completion").any():
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="////", label="finished after answer"))
    handles.append(Patch(color="#9d9d9d", label="break"))
    handles.append(ax.plot([], [], "v", color="black", label="query sent")[0])
    ax.legend(handles=handles, ncols=len(handles), fontsize=7, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.28))
    coded = today.loc[(today["part"] == "completion") | ~today["queried"]]
    n_queries = int(today["queried"].sum())
    by_type = coded["chart_type"].value_counts()
    mix = ", ".join(f"{n} {t}" for t, n in by_type.items())
    reading = (
        f"Coder {coder} finished {len(coded)} charts ({mix}) and sent {n_queries} physician "
        f"quer{'y' if n_queries == 1 else 'ies'}; breaks start once the chart in hand is done, so they can begin "
        "after their set time. Billing questions are inside the bars."
    )
    return Plot(key, title, reading, to_png(fig))
