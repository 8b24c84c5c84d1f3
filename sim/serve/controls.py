"""What a manager changes on the page, and how a filled-in form becomes a scenario's overrides.

Each :class:`Control` is one field: a label, its unit, the scenario's value
and whether that value is documented or an assumption (from the scenario's
``sources:`` map, by the longest dotted path that covers it). :func:`changes`
turns the form back into dotted-path overrides — the same ``set:`` a
``variants:`` entry holds — and only for values the manager changed, so an
untouched form is the unchanged scenario.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.config import Scenario
from sim.scenario.errors import ScenarioError

WHAT_IF = "what-if"  # the variant's name in the run: the changed scenario


@dataclass(frozen=True)
class Control:
    """One field of the form."""

    key: str  # form field name
    label: str
    unit: str
    value: Any  # the scenario's value, as the field shows it
    group: str
    kind: str = "number"  # number | select | checkbox
    step: float | str = "any"
    low: float | None = 0
    high: float | None = None
    options: tuple[str, ...] = ()
    basis: str = "not stated"  # documented | documented in part | assumption | not stated | what-if
    source: str = ""


def basis(path: str, sources: Mapping[str, str]) -> tuple[str, str]:
    """('documented' | 'documented in part' | 'assumption' | 'not stated', text) for a dotted path."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        text = sources.get(".".join(parts[:i]))
        if text is not None:
            kind, _, rest = str(text).partition(":")
            kind = kind.strip().lower()
            if kind not in ("documented", "assumption"):
                kind, rest = ("documented" if "document" in kind else "assumption"), str(text)
            if kind == "documented" and "assum" in rest.lower():
                kind = "documented in part"
            return kind, rest.strip()
    return "not stated", ""


def _mean_count(count: Any) -> float:
    return float(count.expected())


def _count_step(count: Any) -> float | str:
    """The steps a count's mean can take: whole charts (fixed), halves (a whole-number range), any (the rest)."""
    return {"fixed": 1, "uniform_int": 0.5}.get(count.dist, "any")


def _count_changes(path: str, count: Any, mean: float, label: str = "Count") -> dict[str, Any]:
    """Overrides that give a count distribution exactly the new ``mean`` (its shape kept).

    A fixed count takes whole charts and a whole-number range (``uniform_int``)
    a mean in halves: any other mean is refused with the nearest ones it can
    take, never rounded behind the manager's back.
    """
    kind = count.dist
    if kind in ("poisson", "negative_binomial"):  # the dispersion is kept
        return {f"{path}.mean": mean}
    if kind == "fixed":
        if not mean.is_integer():
            raise ScenarioError(f"{label}: the scenario's count is a fixed whole number of charts: "
                                f"{math.floor(mean)} or {math.ceil(mean)} (got {mean:g})")
        return {f"{path}.value": int(mean)}
    total = 2 * mean  # uniform_int: low + high, whole; the range moved and stretched in proportion
    if not total.is_integer():
        raise ScenarioError(f"{label}: the scenario draws a whole number from {count.low} to {count.high}, "
                            f"so its mean moves in steps of 0.5: {math.floor(total) / 2:g} or "
                            f"{math.ceil(total) / 2:g} (got {mean:g})")
    total = int(total)
    old = count.expected()
    wanted = (count.high - count.low) * (mean / old if old > 0 else 1)
    wanted = min(max(wanted, 0.0), float(total))
    near = math.floor(wanted)
    widths = [w for w in (near - 1, near, near + 1, near + 2) if w % 2 == total % 2 and 0 <= w <= total]
    width = min(widths, key=lambda w: (abs(w - wanted), w))
    return {f"{path}.low": (total - width) // 2, f"{path}.high": (total + width) // 2}


def _shown(control: Control, value: float, exact: float) -> bool:
    """Whether a submitted number leaves the field as it was: what it showed (the scenario's value as
    rounded for the field) or that value exactly."""
    return (math.isclose(value, float(control.value), rel_tol=1e-12, abs_tol=1e-12)
            or math.isclose(value, exact, rel_tol=1e-9, abs_tol=1e-9))


def _num(x: float) -> float | int:
    """A value as a field shows it: whole numbers without '.0'."""
    return int(x) if float(x).is_integer() else round(float(x), 6)


def controls(scenario: Scenario) -> list[Control]:
    """Every field the page offers for ``scenario``, grouped, each with its unit and basis."""
    src = scenario.sources
    out: list[Control] = []

    def add(key: str, label: str, unit: str, value: Any, group: str, path: str | None = None, **kw: Any) -> None:
        kind, text = basis(path or key, src)
        out.append(Control(key, label, unit, value, group, basis=kind, source=text, **kw))

    levels = tuple(scenario.levels)
    for prefix, team in scenario.all_teams():
        name = "main team" if prefix == "coders" else f"team {prefix.rsplit('.', 1)[-1]}"
        add(f"{prefix}.count", f"Coders, {name}", "coders", team.count, "Coders by team and level", step=1)
        add(f"{prefix}.level", f"Level, {name}", "experience level", team.level, "Coders by team and level",
            kind="select", options=levels)
    arrivals = scenario.arrivals
    if arrivals.at_login_per_coder is not None:
        add("arrivals.at_login_per_coder", "Queue at login", "charts per coder (mean)",
            _num(_mean_count(arrivals.at_login_per_coder)), "Volume", step=_count_step(arrivals.at_login_per_coder))
    for kind, volume in arrivals.daily.items():
        add(f"arrivals.daily.{kind}", f"Daily volume, {kind}", "charts a day (mean)",
            _num(_mean_count(volume.count)), "Volume", step=_count_step(volume.count))
    for kind, rate in arrivals.per_hour.items():
        add(f"arrivals.per_hour.{kind}", f"Arrivals during the day, {kind}", "charts per hour", _num(rate), "Volume")
    for kind, spec in scenario.chart_types.items():
        add(f"chart_types.{kind}.query.probability", f"Query rate, {kind}", "% of charts",
            _num(round(spec.query.probability * 100, 4)), "Physician queries", high=100)
    delay = scenario.queries.answer_delay.mean_minutes() / 60
    if delay > 0:
        add("queries.answer_delay", "Physician answer delay", "hours (mean)", _num(round(delay, 3)), "Physician queries")
    out.append(Control("cac", "Computer-assisted coding: coding time reduction", "% less coding time, every chart type",
                       0, "Computer-assisted coding", high=95, basis="what-if",
                       source="0 % = the scenario's coding times; a reduction multiplies every coding time"))
    ot = scenario.overtime
    add("overtime.on", "Overtime allowed", "on days starting with a long queue", ot is not None, "Overtime rule",
        path="overtime", kind="checkbox")
    add("overtime.backlog_threshold", "Overtime when the queue exceeds", "charts waiting at day start",
        ot.backlog_threshold if ot else 100, "Overtime rule", step=1)
    add("overtime.minutes", "Overtime per coder", "minutes a day", _num(ot.minutes) if ot else 60, "Overtime rule")
    add("overtime.pay_factor", "Overtime pay", "× regular pay", _num(ot.pay_factor) if ot else 1.5, "Overtime rule")
    for i, b in enumerate(scenario.breaks):
        add(f"breaks.{i}.minutes", f"{b.name.capitalize()} at {b.at}", "minutes", _num(b.minutes), "Breaks",
            path="breaks")
    return out


def form_number(form: Mapping[str, Any], key: str, label: str, unit: str = "") -> float | None:
    """A form field's number, None when left empty; a one-line ScenarioError when it is not a finite number."""
    raw = str(form.get(key, "") or "").strip()
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        what = f"a number of {unit}" if unit else "a number"
        raise ScenarioError(f"{label}: expected {what} (got {raw!r})") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{label}: expected a finite number (got {raw!r})")
    return value


def _number(form: Mapping[str, str], control: Control, whole: bool = False) -> float | None:
    """The control's number, None when left empty, checked against its bounds."""
    value = form_number(form, control.key, control.label, control.unit)
    if value is None:
        return None
    raw = str(form.get(control.key, "")).strip()
    if whole and not value.is_integer():
        raise ScenarioError(f"{control.label}: expected a whole number (got {raw!r})")
    if control.low is not None and value < control.low:
        raise ScenarioError(f"{control.label}: must be at least {control.low:g} {control.unit} (got {raw})")
    if control.high is not None and value > control.high:
        raise ScenarioError(f"{control.label}: must be at most {control.high:g} {control.unit} (got {raw})")
    return value


def changes(scenario: Scenario, form: Mapping[str, str]) -> dict[str, Any]:
    """The dotted-path overrides (as in ``variants: {name: {set: …}}``) for what the form changed.

    Fields left as the scenario has them give no override; a field that is
    not a number is a one-line ScenarioError naming it.
    """
    by_key = {c.key: c for c in controls(scenario)}
    out: dict[str, Any] = {}
    for prefix, team in scenario.all_teams():
        n = _number(form, by_key[f"{prefix}.count"], whole=True)
        if n is not None and int(n) != team.count:
            out[f"{prefix}.count"] = int(n)
        level = str(form.get(f"{prefix}.level", team.level))
        if level != team.level:
            out[f"{prefix}.level"] = level
    arrivals = scenario.arrivals
    counts = {"arrivals.at_login_per_coder": arrivals.at_login_per_coder,
              **{f"arrivals.daily.{k}": v.count for k, v in arrivals.daily.items()}}
    for key, count in counts.items():
        if count is None:
            continue
        mean = _number(form, by_key[key])
        if mean is not None and not _shown(by_key[key], mean, _mean_count(count)):
            path = key if key == "arrivals.at_login_per_coder" else f"{key}.count"
            out.update(_count_changes(path, count, mean, by_key[key].label))
    for kind, rate in arrivals.per_hour.items():
        control = by_key[f"arrivals.per_hour.{kind}"]
        value = _number(form, control)
        if value is not None and not _shown(control, value, rate):
            out[f"arrivals.per_hour.{kind}"] = value
    for kind, spec in scenario.chart_types.items():
        key = f"chart_types.{kind}.query.probability"
        pct = _number(form, by_key[key])
        if pct is not None and not _shown(by_key[key], pct, spec.query.probability * 100):
            out[key] = pct / 100
    delay = scenario.queries.answer_delay
    if "queries.answer_delay" in by_key:
        hours = _number(form, by_key["queries.answer_delay"])
        mean = delay.mean_minutes()
        if hours is not None and not _shown(by_key["queries.answer_delay"], hours, mean / 60):
            out["queries.answer_delay.scale"] = delay.scale * hours * 60 / mean
    cac = _number(form, by_key["cac"])
    if cac:
        for kind, spec in scenario.chart_types.items():
            out[f"chart_types.{kind}.coding_time.scale"] = spec.coding_time.scale * (1 - cac / 100)
    out.update(_overtime(scenario, form, by_key))
    if scenario.breaks:
        minutes = []  # a break left as shown keeps its exact minutes
        for i, b in enumerate(scenario.breaks):
            m = _number(form, by_key[f"breaks.{i}.minutes"])
            minutes.append(b.minutes if m is None or _shown(by_key[f"breaks.{i}.minutes"], m, b.minutes) else m)
        if any(m != b.minutes for m, b in zip(minutes, scenario.breaks)):
            out["breaks"] = [{**b.model_dump(mode="json"), "minutes": _num(m) if m != b.minutes else b.minutes}
                             for m, b in zip(minutes, scenario.breaks)]
    return out


def _overtime(scenario: Scenario, form: Mapping[str, str], by_key: dict[str, Control]) -> dict[str, Any]:
    ot = scenario.overtime
    if "overtime.shown" not in form and "overtime.on" not in form:  # the form has no overtime fields: unchanged
        return {}
    on = str(form.get("overtime.on", "")).lower() in ("on", "true", "1", "yes")
    if not on:
        return {"overtime": None} if ot is not None else {}
    was = ot.model_dump(mode="json") if ot is not None else {"backlog_threshold": 100, "minutes": 60, "pay_factor": 1.5}
    rule = {}
    for k in ("backlog_threshold", "minutes", "pay_factor"):  # a field left as shown keeps the rule's exact value
        control = by_key[f"overtime.{k}"]
        v = _number(form, control, whole=k == "backlog_threshold")
        rule[k] = was[k] if v is None or _shown(control, v, float(was[k])) else v
    rule["backlog_threshold"] = int(rule["backlog_threshold"])
    if ot is not None and all(rule[k] == was[k] for k in rule):
        return {}
    return {"overtime": rule}


def changed_scenario(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The scenario with the overrides applied and validated again (the loader's one-line errors)."""
    base = scenario.model_copy(update={"variants": {}, "sweeps": {}})
    return base.with_changes(overrides, WHAT_IF, name=f"{scenario.name} (what-if)"[:200])


def describe(overrides: dict[str, Any]) -> list[str]:
    """The overrides as 'path = value' lines, for the page and the changed file's description."""
    lines = []
    for path, value in overrides.items():
        if isinstance(value, float):
            value = round(value, 6)
        if path == "breaks":
            value = ", ".join(f"{b['name']} {b['minutes']:g} min" for b in value)
        lines.append(f"{path} = {value}")
    return lines


def in_words(base: Scenario, changed: Scenario) -> list[str]:
    """What a manager changed, field by field: 'Coders, main team: 5 → 7 coders'.

    Read from the form's fields of both scenarios, so the text names what the
    page showed; a computer-assisted-coding cut, which has no field of the
    scenario's own, is said as the share of coding time it saves.
    """
    after = {c.key: c for c in controls(changed)}
    lines = []
    for c in controls(base):
        d = after.get(c.key)
        if c.key == "cac" or d is None or d.value == c.value:
            continue
        if c.kind == "checkbox":
            lines.append(f"{c.label}: {'on' if d.value else 'off'}")
        else:
            lines.append(f"{c.label}: {c.value} → {d.value} {c.unit}".rstrip())
    cuts = {round(1 - changed.chart_types[k].coding_time.scale / spec.coding_time.scale, 6)
            for k, spec in base.chart_types.items() if spec.coding_time.scale > 0}
    if len(cuts) == 1 and (cut := cuts.pop()) > 0:
        lines.append(f"Computer-assisted coding: {cut:.0%} less coding time on every chart type")
    return lines
