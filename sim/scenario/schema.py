"""What every part of a scenario file's schema shares.

Scenario data is frozen and strict: an unknown key is refused (a typo fails
loudly), a quoted "3" or a YAML ``yes`` is never coerced to a number, and
nothing is NaN or infinite. Names (chart types, teams, levels, variants) are
bounded so they fit a table, a console and a file name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_NAME = 64  # characters in a chart type, team, level, variant or sweep name


class FrozenModel(BaseModel):
    """Scenario data: unknown keys refused, values frozen and strictly typed (ints still pass for floats)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True)
