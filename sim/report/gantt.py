"""One coder's day as a timeline: the "day in the life" at a glance, drawn from what the run recorded.

Nothing here re-derives a rule of the model. Chart work comes from
``charts.csv``: a chart's first review runs from ``started_at`` to
``query_sent_at`` (a queried chart: read, query written, set aside) or to
``coded_at`` (coded in one go), done by ``started_by``; a queried chart's
completion runs from ``resumed_at`` to ``coded_at``, done by ``coder``.
Breaks and billing questions come from ``activities.csv`` at their recorded
start and length; a question answered while a chart was in hand lies inside
that chart's bar (it lengthened it). The counts in the caption are those of
``coder_days.csv`` for the same coder-day, so the figure says what the tables
say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.report.figures import TYPE_COLOURS, Plot, new_figure, omitted, text, to_png
from sim.scenario.calendar import DAY, clock_minutes, clock_text, day_of

FIRST, COMPLETION = "first_review", "completion"
BREAK, QUESTION = "break", "billing_question"
CHART_PARTS = (FIRST, COMPLETION)
_COLUMNS = ["kind", "start", "end", "minutes", "chart_id", "chart_type", "queried", "coder"]
_BREAK_COLOUR, _QUESTION_COLOUR, _AFTER_COLOUR, _OVERTIME_COLOUR = "#9d9d9d", "#222222", "#f6d7b0", "#dce9f5"


def segments(charts: pd.DataFrame) -> pd.DataFrame:
    """Every chart work interval, owned by the coder who did it.

    Columns ``kind`` (first_review | completion), ``start``, ``end``,
    ``minutes``, ``chart_id``, ``chart_type``, ``queried`` (the first review
    ended with a query), ``coder`` (who worked that interval), plus
    ``variant`` and ``replication`` where ``charts`` has them. Without a
    ``started_by`` column (folders written before it was recorded) the first
    review of a queried chart has no known owner and is left out; a chart
    coded in one go was opened and finished by the same coder.
    """
    keys = [c for c in ("variant", "replication") if c in charts]
    opened = charts.loc[charts["started_at"].notna()]
    queried = opened["query_sent_at"].notna()
    if "started_by" in opened:
        first_owner = opened["started_by"]
    else:
        first_owner = opened["coder"].where(~queried)
    first = opened[keys].assign(
        kind=FIRST, start=opened["started_at"], end=opened["query_sent_at"].where(queried, opened["coded_at"]),
        chart_id=opened["chart_id"], chart_type=opened["chart_type"], queried=queried, coder=first_owner,
    )
    back = charts.loc[charts["resumed_at"].notna()]
    second = back[keys].assign(
        kind=COMPLETION, start=back["resumed_at"], end=back["coded_at"], chart_id=back["chart_id"],
        chart_type=back["chart_type"], queried=False, coder=back["coder"],
    )
    out = pd.concat([first, second], ignore_index=True)
    out = out.loc[out["coder"].notna() & out["end"].notna()]
    out = out.assign(minutes=out["end"] - out["start"], coder=out["coder"].astype(int), chart_type=out["chart_type"].astype(str))
    return out[keys + _COLUMNS].sort_values(keys + ["start", "kind"]).reset_index(drop=True)


@dataclass
class DayInTheLife:
    """One coder-day as recorded: what the coder did, when, and the counts of ``coder_days.csv``.

    ``work`` has one row per chart interval, break and billing question
    (columns ``kind``, ``start``, ``end``, ``minutes``, ``chart_id``,
    ``chart_type``, ``queried``, ``coder``), ordered by start; minutes of the
    run. ``login``/``shift_end``/``logout`` bound the day (``shift_end``
    includes the ``overtime`` minutes granted that morning); ``counts`` is the
    coder-day's row of ``coder_days.csv``, empty when the folder has none.
    """

    variant: str
    replication: int
    coder: int
    day: int
    work: pd.DataFrame
    login: float
    shift_end: float
    logout: float
    overtime: float = 0.0
    counts: dict = field(default_factory=dict)
    activities_recorded: bool = True
    first_owner_recorded: bool = True

    def part(self, *kinds: str) -> pd.DataFrame:
        return self.work.loc[self.work["kind"].isin(kinds)]

    @property
    def coded(self) -> pd.DataFrame:
        """The drawn intervals that ended with a chart coded: completions and unqueried first reviews."""
        charts = self.part(*CHART_PARTS)
        return charts.loc[(charts["kind"] == COMPLETION) | ~charts["queried"].astype(bool)]

    @property
    def drawn_counts(self) -> dict[str, float]:
        """The caption's counts as read off the drawing itself."""
        out: dict[str, float] = {
            "charts_coded": len(self.coded),
            "queries_sent": int(self.part(FIRST)["queried"].astype(bool).sum()),
            "after_shift_minutes": max(0.0, self.logout - self.shift_end),
        }
        if self.activities_recorded:
            out["interruptions"] = len(self.part(QUESTION))
            out["break_minutes"] = float(self.part(BREAK)["minutes"].sum())
        return out

    @property
    def coded_by_type(self) -> dict[str, int]:
        """Charts coded per type: ``coded_<type>`` of coder_days.csv, else the drawing."""
        by_type = {k.removeprefix("coded_"): int(v) for k, v in self.counts.items() if k.startswith("coded_")}
        if not by_type:
            by_type = {str(k): int(v) for k, v in self.coded["chart_type"].value_counts().items()}
        return {k: v for k, v in sorted(by_type.items(), key=lambda kv: -kv[1]) if v}

    @property
    def caption(self) -> str:
        """One reading of the day; its counts are coder_days.csv's (it says so where they cannot be)."""
        drawn = self.drawn_counts
        n = {k: self.counts.get(k, drawn.get(k)) for k in
             ("charts_coded", "queries_sent", "interruptions", "break_minutes", "after_shift_minutes")}
        coded, queries = int(n["charts_coded"]), int(n["queries_sent"])
        mix = ", ".join(f"{v} {t}" for t, v in self.coded_by_type.items())
        did = [
            f"coded {coded} chart{_s(coded)}" + (f" ({mix})" if mix else ""),
            f"sent {queries} physician quer{'y' if queries == 1 else 'ies'}",
        ]
        if n["interruptions"] is not None:
            did.append(f"answered {int(n['interruptions'])} billing question{_s(int(n['interruptions']))}")
        if n["break_minutes"] is not None:
            did.append(f"took {_minutes(n['break_minutes'])} minutes of breaks")
        reading = (f"Coder {self.coder} (logged in {clock_text(self.login)}, out {clock_text(self.logout)}) "
                   + ", ".join(did[:-1]) + " and " + did[-1] + "; ")
        after = n["after_shift_minutes"]
        end = "end of shift" + (f" and {_minutes(self.overtime)} minutes of overtime" if self.overtime else "")
        if after is None:
            reading += "after-shift time is not in this coder_days.csv."
        elif after > 0:
            reading += f"{_minutes(after)} minutes after the {end} ({clock_text(self.shift_end)}) finishing the work in hand."
        else:
            reading += f"no time after the {end} ({clock_text(self.shift_end)})."
        if not self.activities_recorded:
            reading += (" Breaks and billing questions are not drawn: this run folder has no activities.csv "
                        "(older runs); a question lengthens the bar it interrupted.")
        if not self.first_owner_recorded:
            reading += (" This charts.csv does not say who opened each chart (no started_by), so the first "
                        "reading of a queried chart is not drawn.")
        if not self.counts:
            reading += " Counts are read off the drawing: there is no coder_days.csv."
        else:
            differ = [k for k, v in drawn.items() if k in self.counts and abs(float(self.counts[k]) - v) > 1e-6]
            if differ:
                reading += " The drawing differs from coder_days.csv in " + ", ".join(
                    f"{k} ({drawn[k]:g} drawn, {float(self.counts[k]):g} in the table)" for k in differ) + "."
        return reading


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _minutes(x: float) -> str:
    return f"{x:.0f}" if x >= 1 or x == 0 else f"{x:.1f}"


def _is_warmup(column: pd.Series) -> pd.Series:
    return column.astype(str).str.lower().eq("true")


def day_in_the_life(
    charts: pd.DataFrame,
    scenario: dict,
    coder_days: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    variant: str = "base",
    replication: int | None = None,
    coder: int | None = None,
    day: int | None = None,
) -> DayInTheLife | None:
    """One coder-day from the tables (by default: the first replication, first coder, first day after warm-up).

    Returns ``None`` when that coder-day did not happen (the coder did not work that day).
    """
    ch = charts.loc[charts["variant"].astype(str) == variant] if "variant" in charts else charts
    cd = None
    if coder_days is not None:
        cd = coder_days.loc[coder_days["variant"].astype(str) == variant] if "variant" in coder_days else coder_days
    source = cd if cd is not None and not cd.empty else ch
    if replication is None:
        if source.empty:
            return None
        replication = int(source["replication"].min())
    ch = ch.loc[ch["replication"] == replication]
    work_all = segments(ch)
    if cd is not None:
        cd = cd.loc[cd["replication"] == replication]
    if coder is None:
        coders = (cd if cd is not None and not cd.empty else work_all)["coder"]
        if coders.isna().all():  # no coder worked a day of this replication (a run over a weekend, say)
            return None
        coder = int(coders.min())
    mine = cd.loc[cd["coder"] == coder] if cd is not None else None
    if day is None:
        if mine is not None and not mine.empty:
            steady = mine.loc[~_is_warmup(mine["warmup"])] if "warmup" in mine else mine
            day = int((steady if not steady.empty else mine)["day"].min())
        else:
            starts = work_all.loc[work_all["coder"] == coder, "start"]
            if starts.empty:
                return None
            day = day_of(float(starts.min()))
    row = mine.loc[mine["day"] == day] if mine is not None else None
    if row is not None and row.empty:
        return None
    counts = row.iloc[0].to_dict() if row is not None else {}
    work = work_all.loc[(work_all["coder"] == coder) & ((work_all["start"] // DAY) == day)]
    acts = pd.DataFrame(columns=_COLUMNS)
    if activities is not None:
        a = activities
        if "variant" in a:
            a = a.loc[a["variant"].astype(str) == variant]
        a = a.loc[(a["replication"] == replication) & (a["coder"] == coder) & (a["day"] == day)]
        acts = pd.DataFrame({
            "kind": a["activity"].astype(str), "start": a["start"], "end": a["start"] + a["minutes"],
            "minutes": a["minutes"], "chart_id": np.nan, "chart_type": None, "queried": False, "coder": coder,
        })
    frames = [f for f in (work[_COLUMNS], acts) if not f.empty]
    timeline = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)
    timeline = timeline.sort_values(["start", "kind"]).reset_index(drop=True)
    shift = scenario.get("shift") or {}
    login = day * DAY + clock_minutes(str(shift.get("start", "08:00")))
    overtime = float(counts.get("overtime_minutes", 0.0) or 0.0)
    shift_end = day * DAY + clock_minutes(str(shift.get("end", "16:30"))) + overtime
    if "paid_minutes" in counts:
        logout = login + float(counts["paid_minutes"])
    else:
        logout = max(shift_end, float(timeline["end"].max()) if not timeline.empty else shift_end)
    return DayInTheLife(
        variant=variant, replication=int(replication), coder=int(coder), day=int(day), work=timeline,
        login=login, shift_end=shift_end, logout=logout, overtime=overtime, counts=counts,
        activities_recorded=activities is not None, first_owner_recorded="started_by" in charts,
    )


def draw(life: DayInTheLife, types: list[str], title: str = "One coder's day"):
    """The day as a matplotlib figure: chart work, billing questions and breaks on three rows."""
    from matplotlib.patches import Patch

    colour = {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(types)}
    work = life.work
    right = max(life.logout, life.shift_end, float(work["end"].max()) if not work.empty else life.logout)
    fig = new_figure(10, 3.1)
    ax = fig.add_subplot()
    ax.axvspan(life.login, life.shift_end - life.overtime, color="#f4f4f4", zorder=0)
    if life.overtime:
        ax.axvspan(life.shift_end - life.overtime, life.shift_end, color=_OVERTIME_COLOUR, zorder=0)
    if life.logout > life.shift_end:
        ax.axvspan(life.shift_end, life.logout, color=_AFTER_COLOUR, zorder=0)
    ax.axvline(life.shift_end, color="#b03a48", lw=1, ls="--", zorder=1)
    label = "end of shift" + (" and overtime" if life.overtime else "")
    ax.text(life.shift_end - 3, 2.62, f"{label} {clock_text(life.shift_end)}", ha="right", va="bottom",
            fontsize=7, color="#b03a48")
    # one call per row of the timeline (not one per bar): the same rectangles, drawn in the same order
    charts = life.part(*CHART_PARTS)
    if not charts.empty:
        ax.barh(2, charts["minutes"].to_numpy(float), left=charts["start"].to_numpy(float), height=0.6,
                color=[colour.get(t, "#888888") for t in charts["chart_type"]], edgecolor="white", linewidth=0.6,
                hatch=["////" if k == COMPLETION else None for k in charts["kind"]], zorder=2)
    queried = charts.loc[charts["queried"].astype(bool), "end"].to_numpy(float)
    if len(queried):
        ax.plot(queried, np.full(len(queried), 2.42), "v", color="black", ms=5, zorder=3)
    questions, breaks = life.part(QUESTION), life.part(BREAK)
    if not questions.empty:
        ax.barh(1, questions["minutes"].to_numpy(float), left=questions["start"].to_numpy(float), height=0.45,
                color=_QUESTION_COLOUR, edgecolor="white", linewidth=0.6, zorder=2)
    if not breaks.empty:
        ax.barh(0, breaks["minutes"].to_numpy(float), left=breaks["start"].to_numpy(float), height=0.45,
                color=_BREAK_COLOUR, zorder=2)
    first_hour = np.floor(life.login / 60) * 60
    ticks = np.arange(first_hour, right + 60, 60)
    ax.set_xticks(ticks, [clock_text(t) for t in ticks], fontsize=8)
    ax.set_xlim(life.login - 10, right + 10)
    rows = ["breaks", "billing questions", "charts"]
    if not life.activities_recorded:
        rows[:2] = ["breaks (not recorded)", "questions (not recorded)"]
    ax.set_yticks([0, 1, 2], rows, fontsize=8)
    ax.set_ylim(-0.6, 2.95)
    ax.set_xlabel(f"clock time on day {life.day} (shift shaded grey{', overtime blue' if life.overtime else ''}, "
                  "after-shift time orange; gaps are idle)")
    ax.set_title(f"{title}: coder {life.coder}, replication {life.replication}, day {life.day} ({text(life.variant)})")
    present = set(charts["chart_type"])
    handles = [Patch(color=colour[t], label=text(t, 20)) for t in types if t in present]
    if (charts["kind"] == COMPLETION).any():
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="////", label="finished after answer"))
    if charts["queried"].astype(bool).any():
        handles.append(ax.plot([], [], "v", color="black", label="query sent")[0])
    handles.append(Patch(color=_QUESTION_COLOUR, label="billing question"))
    handles.append(Patch(color=_BREAK_COLOUR, label="break"))
    if life.overtime:
        handles.append(Patch(color=_OVERTIME_COLOUR, label="overtime"))
    if life.logout > life.shift_end:
        handles.append(Patch(color=_AFTER_COLOUR, label="after shift"))
    ax.legend(handles=handles, ncols=len(handles), fontsize=7, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.28))
    return fig


def coder_day(
    charts: pd.DataFrame | None,
    scenario: dict,
    coder_days: pd.DataFrame | None = None,
    variant: str = "base",
    replication: int | None = None,
    coder: int | None = None,
    day: int | None = None,
    activities: pd.DataFrame | None = None,
) -> Plot:
    """Timeline of one coder's working day (by default: the first replication, first coder, first day after warm-up)."""
    key, title = "gantt", "One coder's day"
    if charts is None:
        return omitted(key, title, "Not drawn: this folder has no charts.csv (chartsim run keeps it unless --no-charts).")
    if "variant" in charts and not (charts["variant"].astype(str) == variant).any():
        return omitted(key, title, f"Not drawn: no chart was worked in {text(variant)}.")
    life = day_in_the_life(charts, scenario, coder_days, activities, variant, replication, coder, day)
    if life is None or life.work.empty:
        who = f"coder {coder}" if coder is not None else "the coder"
        when = f"on day {day}" if day is not None else "on any day of the run"
        return omitted(key, title, f"Not drawn: {who} did not work {when} in {text(variant)}.")
    types = list((scenario.get("chart_types") or {}).keys()) or sorted(life.work["chart_type"].dropna().unique())
    return Plot(key, title, life.caption, to_png(draw(life, types, title)))
