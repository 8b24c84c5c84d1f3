"""Levers: the settings ``chartsim plan`` may change, and the values each may take.

A manager's levers are settings of the scenario reached by dotted path, the
same paths variants and sweeps use: ``coders.teams.outpatient.count``,
``outsourcing.share.outpatient``, ``overtime.minutes``, a team's ``level``.
Each takes a range of whole numbers ``LO..HI``, a range with a step
``LO..HI by STEP``, or a list of values. They come from the scenario's
``levers:`` section or from ``--lever PATH=VALUES`` on the command line
(which replaces the section's entry for that path). The plans are every
combination of the levers' values, in a fixed order: the first lever varies
slowest.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_LEVERS = 8
MAX_VALUES = 200  # values of one lever
MAX_PLANS = 10_000_000  # combinations (beyond chartsim plan's --enumerate limit an optimiser samples them)

_RANGE = re.compile(
    r"^\s*([-+]?\d+(?:\.\d*)?)\s*\.\.\s*([-+]?\d+(?:\.\d*)?)\s*(?:by\s+([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*)?$"
)
_PATH = re.compile(r"^[^\s.=]+(\.[^\s.=]+)*$")


class LeverError(ValueError):
    """A lever that cannot be read; the message is one line naming the lever."""


@dataclass(frozen=True)
class Lever:
    """One setting a plan may change and the values it may take, in order."""

    path: str
    values: tuple[Any, ...]


def _number(text: str) -> int | float:
    x = float(text)
    return int(x) if x.is_integer() and "." not in text else x


def parse_values(path: str, spec: Any) -> tuple[Any, ...]:
    """A lever's values from its spec: 'LO..HI', 'LO..HI by STEP' or a list; LeverError otherwise."""
    where = f"levers.{path}"
    if isinstance(spec, str) and spec.lstrip().startswith("["):
        import yaml

        try:
            spec = yaml.safe_load(spec)
        except yaml.YAMLError:
            raise LeverError(f"{where}: {spec!r} is not a list like [0, 0.25, 0.5]") from None
    if isinstance(spec, str):
        m = _RANGE.match(spec)
        if m is None:
            if "," in spec:  # a bare comma list from the command line
                import yaml

                return parse_values(path, [yaml.safe_load(x.strip()) for x in spec.split(",")])
            raise LeverError(f"{where}: expected a range LO..HI, LO..HI by STEP or a list [a, b, …] (got {spec!r})")
        lo, hi, step = _number(m[1]), _number(m[2]), m[3]
        if hi < lo:
            raise LeverError(f"{where}: the range {spec.strip()} is empty (LO must not exceed HI)")
        if step is None:
            if not (isinstance(lo, int) and isinstance(hi, int)):
                raise LeverError(f"{where}: a range of decimals needs a step, e.g. '{lo}..{hi} by 0.25'")
            count = hi - lo + 1
            if count > MAX_VALUES:
                raise LeverError(f"{where}: {count} values; at most {MAX_VALUES} per lever")
            return tuple(range(lo, hi + 1))
        by = _number(step)
        if not by > 0:
            raise LeverError(f"{where}: the step must be above 0 (got {step})")
        count = math.floor((hi - lo) / by + 1e-9) + 1
        if count > MAX_VALUES:
            raise LeverError(f"{where}: {count} values; at most {MAX_VALUES} per lever")
        whole = all(isinstance(x, int) for x in (lo, hi, by))
        return tuple(lo + i * by if whole else round(lo + i * by, 10) for i in range(count))
    if isinstance(spec, list | tuple):
        values = tuple(spec)
        if not values:
            raise LeverError(f"{where}: the list of values is empty")
        if len(values) > MAX_VALUES:
            raise LeverError(f"{where}: {len(values)} values; at most {MAX_VALUES} per lever")
        if len({repr(v) for v in values}) < len(values):
            raise LeverError(f"{where}: a value is repeated in {list(values)!r}")
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                raise LeverError(f"{where}: values must be finite (got {v})")
        return values
    raise LeverError(f"{where}: expected a range LO..HI or a list of values (got {type(spec).__name__})")


def check_path(path: str) -> None:
    if not isinstance(path, str) or not _PATH.match(path) or len(path) > 300:
        raise LeverError(f"levers: {str(path)[:80]!r} is not a dotted path to a setting (e.g. coders.count)")


def check_levers(levers: dict[str, Any]) -> None:
    """Refuse a ``levers:`` section that cannot be read (the paths are checked when the plans are built)."""
    if len(levers) > MAX_LEVERS:
        raise LeverError(f"levers: {len(levers)} levers; at most {MAX_LEVERS}")
    for path, spec in levers.items():
        check_path(path)
        parse_values(path, spec)
    if (n := grid_size(levers)) > MAX_PLANS:
        raise LeverError(f"levers: {n:,} combinations; at most {MAX_PLANS:,} (narrow the ranges or drop a lever)")


def parse_option(text: str) -> tuple[str, tuple[Any, ...]]:
    """'--lever PATH=VALUES' → (path, values)."""
    path, eq, spec = text.partition("=")
    path = path.strip()
    if not eq or not spec.strip():
        raise LeverError(f"--lever: expected PATH=VALUES, e.g. coders.count=4..8 (got {text!r})")
    check_path(path)
    try:
        return path, parse_values(path, spec.strip())
    except LeverError as exc:
        raise LeverError(f"--lever: {str(exc).removeprefix('levers.')}") from None


def levers_of(section: dict[str, Any], options: list[str]) -> list[Lever]:
    """The scenario's levers, each replaced (or added) by a ``--lever`` option of the same path."""
    out = {path: parse_values(path, spec) for path, spec in section.items()}
    for text in options:
        path, values = parse_option(text)
        out[path] = values
    if not out:
        raise LeverError("plan: no levers; add a levers: section to the scenario or --lever PATH=VALUES")
    if len(out) > MAX_LEVERS:
        raise LeverError(f"--lever: {len(out)} levers; at most {MAX_LEVERS}")
    levers = [Lever(path, values) for path, values in out.items()]
    if (n := math.prod(len(lever.values) for lever in levers)) > MAX_PLANS:
        raise LeverError(f"--lever: {n:,} combinations; at most {MAX_PLANS:,} (narrow the ranges or drop a lever)")
    return levers


def grid_size(section: dict[str, Any]) -> int:
    return math.prod(len(parse_values(p, s)) for p, s in section.items())


def combinations(levers: list[Lever]) -> Iterator[dict[str, Any]]:
    """Every plan: lever path → value, the first lever varying slowest."""
    for values in itertools.product(*(lever.values for lever in levers)):
        yield dict(zip((lever.path for lever in levers), values))


def plan_name(plan: dict[str, Any]) -> str:
    """A plan's name: 'path=value, …' (each plan's own, used in tables and messages)."""
    return ", ".join(f"{p}={v}" for p, v in plan.items())
