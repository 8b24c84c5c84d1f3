"""What-ifs: variants and sweeps, overrides by dotted path on the raw scenario file.

A variant (``variants:``) or a sweep point (``sweeps:``) is the base file with
some settings replaced (:func:`set_path`), validated like a scenario of its
own (``Scenario.expanded``), so every what-if is checked before anything runs.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from pydantic import Field, field_validator

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import FrozenModel as _Frozen


class Variant(_Frozen):
    """A named what-if: overrides by dotted path on the base scenario."""

    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class Sweep(_Frozen):
    """A grid of values: one variant per combination."""

    grid: dict[str, list[Any]] = Field(min_length=1)

    @field_validator("grid")
    @classmethod
    def _values(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in v.items():
            if not values:
                raise ValueError(f"sweep over {path!r} has no values")
            if len({str(x) for x in values}) < len(values):
                raise ValueError(f"sweep over {path!r} repeats a value (each point needs its own name)")
        return v

    def size(self) -> int:
        """Points in the grid, counted without building them."""
        return math.prod(len(values) for values in self.grid.values())


def set_path(data: dict[str, Any], path: str, value: Any, where: str = "") -> None:
    """Set ``a.b.c`` in nested dicts; the path must exist in the resolved scenario."""
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            done = ".".join(keys[:i]) or "the scenario"
            prefix = f"{where}: " if where else ""
            close = difflib.get_close_matches(key, [str(k) for k in node], n=1) if isinstance(node, dict) else []
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"{prefix}{path!r} does not exist ({key!r} is not a setting of {done}{hint})")
        if i == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]
