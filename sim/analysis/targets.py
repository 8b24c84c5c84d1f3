"""What a staffing question asks: a target on a metric, a range of coder counts, the scenario at a count.

``turnaround_p95_days <= 3`` is a :class:`Target`; ``2..30`` the counts of
the main team to try; :func:`with_coders` changes the count by the same
override path as ``variants:``. Bad input is a one-line ScenarioError.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.runs.registry import scenario_metrics
from sim.scenario.config import Scenario
from sim.scenario.errors import ScenarioError


def known_metrics(scenario: Scenario) -> list[str]:
    """Every metric a run of this scenario reports (names usable in ``--target``; see sim.runs.registry)."""
    return [m.name for m in scenario_metrics(scenario)]


def shown_metrics(scenario: Scenario, target: str) -> list[str]:
    """The metrics compared at N and N−1: the target's, then the registry's headline metrics that have a better direction."""
    rest = [m.name for m in scenario_metrics(scenario) if m.headline and m.better and m.name != target]
    return [target, *rest]


@dataclass(frozen=True)
class Target:
    """``metric op value``, e.g. ``turnaround_p95_days <= 3``."""

    metric: str
    op: Literal["<=", ">="]
    value: float

    def met(self, x: np.ndarray | float) -> np.ndarray:
        """Element-wise: does ``x`` meet the target? NaN (not observed) never does."""
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = x <= self.value if self.op == "<=" else x >= self.value
        return ok & ~np.isnan(x)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


def parse_target(text: str, known: list[str]) -> Target:
    """'turnaround_p95_days <= 3' → Target; a one-line ScenarioError otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ScenarioError(f"--target: expected 'METRIC <= VALUE' or 'METRIC >= VALUE' (got {text!r})")
    metric, op, number = m.groups()
    if metric not in known:
        raise ScenarioError(f"--target: unknown metric {metric!r} (known: {', '.join(known)})")
    try:
        value = float(number)
    except ValueError:
        raise ScenarioError(f"--target: {number!r} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(f"--target: the value must be a finite number (got {number!r})")
    return Target(metric, op, value)  # type: ignore[arg-type]


def parse_coders(text: str) -> tuple[int, int]:
    """'2..30' → (2, 30); '8' → (8, 8). Counts of the main team."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", text)
    if not m:
        raise ScenarioError(f"--coders: expected a range like 2..30 (got {text!r})")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if lo > hi:
        raise ScenarioError(f"--coders: the range {lo}..{hi} is empty (the first number must not exceed the second)")
    if hi > 10_000:
        raise ScenarioError(f"--coders: at most 10000 coders (got {hi})")
    return lo, hi


def with_coders(scenario: Scenario, n: int) -> Scenario:
    """The scenario with ``coders.count = n`` and without its what-ifs (same override path as variants)."""
    try:
        return scenario.with_changes({"coders.count": n}, "--coders")
    except ScenarioError as exc:
        reason = str(exc).removeprefix("--coders: ")
        raise ScenarioError(f"--coders: {n} coders is not a valid scenario ({reason})") from None
