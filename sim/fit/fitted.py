"""A fitted value and where it came from, for the comment beside it in the scenario.

``FITTED`` values come from the log and say their sample size and fit
statistics; ``ASSUMPTION`` values are defaults the log cannot inform, and
say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Fitted:
    """A scenario value with its provenance."""

    value: Any
    source: Literal["FITTED", "ASSUMPTION"]
    note: str

    def comment(self, date_range: str) -> str:
        if self.source == "FITTED":
            return f"# FITTED: {self.note}, {date_range}"
        return f"# ASSUMPTION: {self.note}"


def fitted(value: Any, note: str) -> Fitted:
    return Fitted(value, "FITTED", note)


def assumed(value: Any, note: str) -> Fitted:
    return Fitted(value, "ASSUMPTION", note)
