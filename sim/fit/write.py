"""The fitted department → a commented scenario file that ``load_scenario`` accepts.

Every value carries a comment: ``# FITTED: n=…, <fit statistics>, <the log's
date range>`` when the log informed it, ``# ASSUMPTION: …`` when it is a
default the log cannot inform. The same provenance goes into ``sources:``
(fitted values as "documented: fitted from …"), so a run's report lists it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from sim.fit.department import DepartmentFit
from sim.fit.fitted import Fitted, assumed, fitted
from sim.fit.log import MAX_SESSION_HOURS

DEFAULT_SALARY = {"entry": 36_000, "mid": 48_780, "experienced": 64_000}  # BLS 2024 bands, as sim/scenario/config.py
DEFAULT_WRITING = {"dist": "uniform", "low": 3, "high": 7}
DEFAULT_COMPLETION = {"dist": "uniform", "low": 3, "high": 6}
DEFAULT_ANSWER = {"dist": "exponential", "mean": 24, "unit": "hours"}


def flow(value: Any) -> str:
    """One-line YAML for a value (a distribution, a list, a mapping)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False, allow_unicode=True).strip() \
        .removesuffix("\n...").strip()


def _key(name: str) -> str:
    """A name as YAML that reads back as that string: quoted unless plain (``no``, ``on``, ``null`` are not)."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and yaml.safe_load(name) == name
    return name if plain else flow(name)


class _Lines:
    """Scenario text built line by line, each value with its comment; sources collected alongside."""

    def __init__(self, date_range: str, log_name: str) -> None:
        self.lines: list[str] = []
        self.sources: dict[str, str] = {}
        self.date_range, self.log_name = date_range, log_name

    def text(self, line: str = "") -> None:
        self.lines.append(line)

    def value(self, indent: int, key: str, item: Fitted, path: str | None = None) -> None:
        self.lines.append(f"{'  ' * indent}{_key(key)}: {flow(item.value)}  {item.comment(self.date_range)}")
        if path:
            kind = f"documented: fitted from {self.log_name}" if item.source == "FITTED" else "assumption"
            detail = f"{item.note}, {self.date_range}" if item.source == "FITTED" else item.note
            self.sources[path] = f"{kind}: {detail}" if kind == "assumption" else f"{kind} ({detail})"


def scenario_text(fit: DepartmentFit, name: str | None = None) -> str:
    """The scenario YAML for a fitted department."""
    log = fit.log
    out = _Lines(log.date_range, log.path.name)
    n_charts = len(fit.charts)
    out.text(f"# chartsim scenario fitted by `chartsim fit` from {log.path.name}: {len(log.sessions)} sessions,")
    out.text(f"# {n_charts} charts, {log.date_range} ({log.n_days} days). Timestamps: {log.zone}.")
    out.text(f"# Sessions over {MAX_SESSION_HOURS:g} hours left out on purpose: {log.long_sessions}.")
    out.text("# Every value is FITTED (from the log: sample size, fit statistics, date range)")
    out.text("# or an ASSUMPTION (a default the log cannot inform). Times are minutes at the")
    out.text(f"# speed of {fit.speed_fit.reference}-level coders (levels below scale them). Check the fit with --report.")
    for lf in fit.levels:
        if lf.level != fit.speed_fit.reference:
            out.text(f"# Speeds: {lf.pace.phrase()}.")
    out.text()
    out.text(f"name: {flow(name or 'fitted_' + re.sub(r'[^A-Za-z0-9_]+', '_', log.path.stem))}")
    out.text(f"description: {flow(f'Fitted from {log.path.name}, {log.date_range}: the department as its log shows it.')}")
    out.text()
    out.value(0, "days", fitted(log.n_days, "the log's length in calendar days"), "days")
    out.value(0, "start_weekday", fitted(fit.window.start_weekday, "weekday of the log's first day"))
    out.value(0, "warmup_days", assumed(0, "none: the run starts where the log starts, with its backlog"))
    out.text()
    _chart_types(out, fit)
    out.text()
    _arrivals(out, fit)
    out.text()
    _coders(out, fit)
    out.text()
    _day(out, fit)
    out.text()
    _queries(out, fit)
    out.text()
    out.text("sources:")
    for path, text in out.sources.items():
        out.text(f"  {_key(path)}: {flow(text)}")
    return "\n".join(out.lines) + "\n"


def _chart_types(out: _Lines, fit: DepartmentFit) -> None:
    out.text("chart_types:")
    for kind in fit.kinds:
        coding, rate = fit.coding[kind], fit.queries[kind]
        out.text(f"  {_key(kind)}:")
        out.value(2, "coding_time", fitted(coding.dist, "first reviews without a query, " + coding.comment()),
                  f"chart_types.{kind}.coding_time")
        out.text("    query:")
        out.value(3, "probability", fitted(round(rate.p, 4), rate.note()), f"chart_types.{kind}.query.probability")
        extra = fit.writing_extra[kind]
        seen = f"; queried first reviews took {extra:+.1f} min on average" if not math.isnan(extra) else ""
        out.value(3, "writing_time", assumed(DEFAULT_WRITING, "default; the log does not time the query apart" + seen))
        done, n = fit.completion[kind], fit.completion_n[kind]
        if done is None:
            out.value(3, "completion_time", assumed(DEFAULT_COMPLETION, f"default; only {n} completions in the log"))
        else:
            out.value(3, "completion_time", fitted(done.dist, "completions after an answer, " + done.comment()),
                      f"chart_types.{kind}.query.completion_time")


def _arrivals(out: _Lines, fit: DepartmentFit) -> None:
    backlog, volumes = fit.backlog, fit.volumes
    out.text("arrivals:")
    mix = _shares(backlog.mix)
    if backlog.inferred:
        hold = f"; {backlog.on_hold} charts on query hold at the start are not modelled" if backlog.on_hold else ""
        out.value(1, "mix", fitted(mix, f"n={backlog.count}, types of the starting backlog"), "arrivals.mix")
        out.value(1, "backlog", fitted({"dist": "fixed", "value": backlog.count} if backlog.count else None,
                                       f"n={backlog.count} charts discharged before the log's first day and "
                                       f"first reviewed in it{hold}"), "arrivals.backlog")
    else:
        day = round(sum(v.mean for v in volumes.values()))
        out.value(1, "mix", fitted(mix, f"n={len(fit.charts)}, types of all charts"), "arrivals.mix")
        out.value(1, "backlog", assumed({"dist": "fixed", "value": day},
                                        "one day's volume; without discharged_at the starting queue is unknown"),
                  "arrivals.backlog")
    out.text("  daily:")
    for kind in fit.kinds:
        v = volumes[kind]
        out.text(f"    {_key(kind)}:")
        if v.from_discharges:
            what = "Mon–Fri mean" if v.factors else "mean"
            dist = {"dist": "poisson", "mean": round(v.mean, 2)}
            if v.k is not None:
                dist = {"dist": "negative_binomial", "mean": round(v.mean, 2), "dispersion": float(f"{v.k[0]:.4g}")}
            item = fitted(dist, f"n={v.days} days of discharges, {what}; {v.verdict}")
        else:
            item = assumed({"dist": "poisson", "mean": round(v.mean, 2)},
                           f"no discharged_at: the charts finished per calendar day over {v.days} days "
                           "(steady state), Poisson")
        out.value(3, "count", item, f"arrivals.daily.{kind}.count")
        if v.factors:
            out.value(3, "weekday_factor", fitted(v.factors, f"n={v.days} days, each weekday's mean over the Mon–Fri mean"))
        else:
            out.value(3, "weekday_factor", assumed({}, "the same every day (too few days, or no discharged_at)"))
    out.text("  per_hour: {}")


def _shares(mix: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 4 places that still add up to 1."""
    rounded = {k: round(v, 4) for k, v in mix.items()}
    top = max(rounded, key=rounded.get)
    rounded[top] = round(1 - sum(v for k, v in rounded.items() if k != top), 6)
    return rounded


def _coders(out: _Lines, fit: DepartmentFit) -> None:
    main, *others = fit.levels
    out.text("coders:")

    def team(indent: int, lf) -> None:
        out.value(indent, "count", fitted(lf.count, f"n={lf.names} coders of level {lf.level}, "
                                                    f"{lf.present:.2f} at work on an average working day"))
        out.text(f"{'  ' * indent}level: {_key(lf.level)}")
        note = "the chart types this level opened in the log" if lf.skills else "every type (this level opened all)"
        out.value(indent, "skills", fitted(lf.skills, note))

    team(1, main)
    out.value(1, "policy", assumed("oldest_first", "a shared queue worked oldest first; the log does not say"))
    out.text("  teams:" + ("" if others else " {}"))
    for lf in others:
        out.text(f"    {_key(lf.level)}:")
        team(3, lf)
    out.text("levels:")
    for lf in fit.levels:
        salary = DEFAULT_SALARY.get(lf.level, DEFAULT_SALARY["mid"])
        out.text(f"  {_key(lf.level)}:")
        if lf.level == fit.speed_fit.reference:
            item = fitted(1.0, f"n={lf.charts} first reviews without a query; {lf.pace.phrase()}")
        elif not lf.pace.identified:
            item = assumed(1.0, lf.pace.phrase())
        else:
            item = fitted(round(lf.speed, 3), f"n={lf.charts} first reviews without a query; {lf.pace.phrase()}; "
                                              f"log(minutes) on chart type and coder, {fit.speed_fit.method}")
        out.value(2, "speed", item, f"levels.{lf.level}.speed")
        out.value(2, "salary", assumed(salary, "BLS 2024 band for the level (or the median); not in the log"))


def _day(out: _Lines, fit: DepartmentFit) -> None:
    day = fit.day
    known = "" if day.waiting_known else " (no discharged_at: every gap counted, idle time included)"
    out.text("shift:")
    out.value(1, "start", fitted(day.start, f"n={day.coder_days} coder-days, median first session"))
    out.value(1, "end", fitted(day.end, f"n={day.stopped_with_work} coder-days that stopped with charts waiting, "
                                        "median last session"))
    out.value(1, "workdays", fitted(day.workdays, "weekdays with sessions on at least half their dates"), "shift")
    start, end = (int(x[:2]) * 60 + int(x[3:]) for x in (day.start, day.end))
    minutes = round(day.non_coding_minutes)
    if end - start <= 0 or minutes <= 0 or minutes >= end - start:
        out.value(0, "breaks", assumed([], "no non-coding time between sessions could be placed in the shift"))
    else:
        mid = start + ((end - start) // 2) // 15 * 15
        at = f"{mid // 60:02d}:{mid % 60:02d}"
        out.value(0, "breaks", fitted([{"at": at, "minutes": minutes, "name": "non-coding time"}],
                                      f"n={day.stopped_with_work} full coder-days, median minutes between sessions "
                                      f"while charts waited (breaks, meetings, questions){known}; productive "
                                      f"{day.productive_minutes / 60:.2f} h per coder-day"), "breaks")
    out.value(0, "interruptions", assumed({"per_day": 0}, "billing questions are inside sessions or the non-coding time"))


def _queries(out: _Lines, fit: DepartmentFit) -> None:
    out.text("queries:")
    if fit.answer is None:
        out.value(1, "answer_delay", assumed(DEFAULT_ANSWER, f"default; only {fit.answer_n} answered queries "
                                                             "(query_sent_at and query_answered_at) in the log"))
    else:
        out.value(1, "answer_delay", fitted(fit.answer.dist, "calendar hours from query to answer, "
                                                             + fit.answer.comment()), "queries.answer_delay")
    out.value(1, "physician_hours", assumed(None, "the delay runs in calendar time, as the log measures it"))
