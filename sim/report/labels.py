"""Metric names, units and number formats for the report: a thin view of :mod:`sim.runs.registry`.

The registry is the one list of metrics; nothing here keeps its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from sim.runs.registry import fmt, headline_names, lookup, metrics_for, type_metric

__all__ = ["doc", "fmt", "headline_names", "outcome_names", "unit"]


def unit(metric: str) -> str:
    """Unit of a metric (per-type productivity metrics are charts)."""
    return lookup(metric).unit


def doc(metric: str) -> str:
    """One-line meaning of a metric."""
    return lookup(metric).meaning


def outcome_names(kinds: Iterable[str], per_type: bool = True) -> list[str]:
    """Headline metrics with a better direction (what a what-if is judged on), in reading order."""
    kinds = list(kinds)
    types = {type_metric(k).name for k in kinds}
    return [m.name for m in metrics_for(kinds) if m.headline and m.better and (per_type or m.name not in types)]
