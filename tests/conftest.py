"""Shared helpers: write scenario dictionaries to YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.model.coder import Desk
from sim.model.department import Department

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario dict (or raw text) to a YAML file and return its path."""

    def write(data: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


def fixed_questions(questions: dict[tuple[int, int], list[tuple[float, float]]]):
    """A stand-in for ``Department.desks``: billing questions placed by hand.

    ``questions`` maps (coder, day) to (run minute, minutes) pairs; other
    coder-days get none. Patch it in with ``monkeypatch.setattr(Department,
    "desks", fixed_questions(...))`` to make a timeline computable by hand.
    """

    def desks(self: Department, streams, reps) -> list[list[list[Desk]]]:
        def desk(coder: int, day: int) -> Desk:
            mine = questions.get((coder, day), [])
            return Desk([t for t, _ in mine], [m for _, m in mine])

        return [[[desk(c.index, s.day) for s in self.shifts] for c in self.coders] for _ in reps]

    return desks
