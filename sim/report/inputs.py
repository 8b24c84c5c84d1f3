"""The inputs table: every distribution and parameter of a resolved scenario.

Each row is one setting as the run used it, with its unit and where the
number comes from: ``documented`` (with its source) or ``assumption``, read
from the scenario's ``sources`` map by the longest dotted path that covers
the setting. A setting no source covers is shown as ``not stated``.

Where the sources cite ``docs/sources.md`` (the bundled scenarios do), a last
row says what that file is, so that a reader of the report knows where the
cited IDs lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenario.state_files import RUN_FILES

SKIP = {"name", "description", "sources", "variants", "sweeps"}
RUN_SETTINGS = {"days", "start_weekday", "warmup_days", "target_days"}
UNITS = {
    "days": "calendar days",
    "warmup_days": "days",
    "target_days": "days",
    "start_weekday": "weekday",
    "probability": "share of charts",
    "mix": "share of charts",
    "per_hour": "charts per hour",
    "count": "coders",
    "speed": "× documented work rate",
    "salary": "$ per year",
    "minutes": "minutes",
    "per_day": "per coder per working day",
    "backlog_threshold": "charts waiting",
    "pay_factor": "× regular pay",
    "weekday_factor": "× daily volume",
    "start": "clock time",
    "end": "clock time",
    "at": "clock time",
    "workdays": "weekdays",
    "weekdays": "weekdays",
    "policy": "queue order",
    "priority": "chart types, first served first",
    "skills": "chart types",
    "level": "experience level",
}
PATH_UNITS = {  # settings whose last name alone does not say their unit
    "state.answers.probability": "share of replications",
    "state.answers.backlog_below": "charts",
    "state.answers.dnfb_days_above": "days",
    "state.answers.turnaround_days": "days",
    "state.as_of": "date and clock time",
    "state.open_charts": "charts",
    "arrivals.volume_forecast": "charts per day (expected)",
    "coders.leave": "days away",
}
COUNT_UNITS = {"at_login_per_coder": "charts per coder", "backlog": "charts", "count": "charts per day"}
SOURCES_DOC = "docs/sources.md"
SOURCES_NOTE = (
    "Documented values are cited from docs/sources.md in the chartsim repository, which gives each fact's "
    "publisher, title and date; an ID such as S1 there is a documented fact, A1 a labelled assumption."
)


@dataclass(frozen=True)
class Input:
    """One row of the inputs table."""

    path: str
    value: str
    unit: str
    status: str  # documented | documented in part | assumption | not stated | run setting | reference
    source: str


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def describe_distribution(d: dict[str, Any]) -> str:
    """'uniform 15–20', 'lognormal mean 72, sd 48', … (without the unit)."""
    kind = d.get("dist")
    if kind == "fixed":
        text = f"fixed {_num(d.get('value'))}"
    elif kind in ("uniform", "uniform_int"):
        text = f"uniform {_num(d.get('low'))}–{_num(d.get('high'))}" + (", whole numbers" if kind == "uniform_int" else "")
    elif kind == "triangular":
        text = f"triangular {_num(d.get('low'))}–{_num(d.get('high'))}, mode {_num(d.get('mode'))}"
    elif kind == "exponential":
        text = f"exponential, mean {_num(d.get('mean'))}"
    elif kind == "lognormal":
        text = f"lognormal, mean {_num(d.get('mean'))}, sd {_num(d.get('sd'))}"
    elif kind == "gamma":
        text = f"gamma, mean {_num(d.get('mean'))}, sd {_num(d.get('sd'))}"
    elif kind == "weibull":
        text = f"Weibull, mean {_num(d.get('mean'))}, shape {_num(d.get('shape'))}"
    elif kind == "poisson":
        text = f"Poisson, mean {_num(d.get('mean'))}"
    elif kind == "negative_binomial":
        text = f"negative binomial, mean {_num(d.get('mean'))}, dispersion {_num(d.get('dispersion'))}"
    elif kind == "empirical":
        values = d.get("values") or []
        text = f"empirical, {len(values)} observed values" + (", weighted" if d.get("weights") else "")
    else:
        text = str(kind)
    scale = d.get("scale", 1.0)
    if isinstance(scale, (int, float)) and scale != 1.0:
        text += f", × {_num(scale)}"
    return text


def _source(path: str, sources: dict[str, str]) -> tuple[str, str]:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in sources:
            text = str(sources[key])
            kind, _, rest = text.partition(":")
            kind = kind.strip().lower()
            if kind not in ("documented", "assumption"):
                kind, rest = ("documented" if "document" in kind else "assumption"), text
            if kind == "documented" and "assum" in rest.lower():
                kind = "documented in part"
            return kind, rest.strip()
    return "not stated", ""


def _unit(path: str, value: Any) -> str:
    if path in PATH_UNITS:
        return PATH_UNITS[path]
    key = path.rsplit(".", 1)[-1]
    if isinstance(value, dict) and "dist" in value:
        if "unit" in value:
            return str(value["unit"])
        parent = path.split(".")[-2] if "." in path else key
        return COUNT_UNITS.get(key) or COUNT_UNITS.get(parent, "count")
    if key.startswith("breaks["):
        return "clock time, minutes"
    parent = path.split(".")[-2] if path.count(".") else ""
    if parent in ("mix", "per_hour", "weekday_factor"):
        return UNITS[parent]
    return UNITS.get(key, "")


def _leaves(node: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(node, dict) and "dist" not in node:
        out: list[tuple[str, Any]] = []
        for key, value in node.items():
            if not path and key in SKIP:
                continue
            out.extend(_leaves(value, f"{path}.{key}" if path else str(key)))
        return out
    if path == "breaks" and isinstance(node, list):
        return [(f"breaks[{i}]", b) for i, b in enumerate(node)]
    if node is None or node == [] or node == {}:
        return []
    return [(path, node)]


def _value(path: str, value: Any) -> str:
    if isinstance(value, dict) and "dist" in value:
        return describe_distribution(value)
    if path.startswith("breaks[") and isinstance(value, dict):
        return f"{value.get('name', 'break')}: at {value.get('at')}, {_num(value.get('minutes'))} min"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return _rows(path, value)
    if isinstance(value, list):
        return ", ".join(_num(v) for v in value)
    if isinstance(value, (int, float)) and (path.split(".")[-2:-1] == ["mix"] or path.endswith(".probability")):
        return f"{float(value):.0%}" if float(value) * 100 == round(float(value) * 100) else f"{float(value):.1%}"
    if path.endswith("salary"):
        return f"${float(value):,.0f}"
    return _num(value)


def _rows(path: str, rows: list[Any]) -> str:
    """A starting-state file (open charts, volume forecast, leave) in a line; its rows stay in the run folder."""
    records = [r for r in rows if isinstance(r, dict)]
    section, _, key = path.partition(".")
    where = RUN_FILES.get((section, key))
    beside = f"; every row in {where} in the run folder" if where else ""
    if path == "state.open_charts":
        on_hold = sum(1 for r in records if r.get("query_sent_at") and not r.get("query_answered_at"))
        in_hand = sum(1 for r in records if r.get("started_by"))
        return f"{len(records):,} open charts ({on_hold:,} on hold, {in_hand:,} in hand){beside}"
    if path == "arrivals.volume_forecast":
        dates = sorted({str(r.get("date")) for r in records})
        types = {str(r.get("chart_type")) for r in records}
        total = sum(float(r.get("expected") or 0) for r in records)
        span = f"{dates[0]} to {dates[-1]}" if len(dates) > 1 else dates[0]
        return (f"{len(dates):,} days ({span}), {len(types)} chart type{'' if len(types) == 1 else 's'}: "
                f"{total:,.0f} charts expected in all{beside}")
    if path == "coders.leave":
        spells = [f"{r.get('coder')} {r.get('first_day')}" + (f" to {r.get('last_day')}" if r.get("last_day") !=
                  r.get("first_day") else "") for r in records]
        if len(spells) <= 5:
            return "; ".join(spells) + beside
        coders = {str(r.get("coder")) for r in records}
        return f"{len(spells):,} spells of leave for {len(coders):,} coders{beside}"
    return f"{len(records):,} rows"


def inputs_table(scenario: dict[str, Any]) -> list[Input]:
    """Every setting the run used (null and empty settings left out), in file order.

    A last ``reference`` row (not a setting) says where the cited sources are,
    when the scenario's sources cite ``docs/sources.md``.
    """
    sources = scenario.get("sources") or {}
    rows = []
    for path, value in _leaves(scenario, ""):
        status, source = _source("breaks" if path.startswith("breaks[") else path, sources)
        if status == "not stated" and path in RUN_SETTINGS:
            status = "run setting"
        rows.append(Input(path, _value(path, value), _unit(path, value), status, source))
    if any(SOURCES_DOC in str(text) for text in sources.values()):
        rows.append(Input("sources", SOURCES_DOC, "", "reference", SOURCES_NOTE))
    return rows
