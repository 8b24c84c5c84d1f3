"""Start-up: the commands a user runs to look around load none of the heavy table and statistics stack.

``chartsim --help``, ``check`` and ``metrics`` answer in a fraction of a second only while pandas, scipy, pyarrow and
matplotlib stay out of their imports; a stray module-level import anywhere on their path would put them back. The
check reads ``python -X importtime`` (every module imported, the interpreter's own record), not a clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "pyarrow", "matplotlib")


def imported(*args: str) -> set[str]:
    """Every top-level package a ``chartsim`` command imports, from ``-X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1] for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {name.strip().split(".")[0] for name in lines}


@pytest.mark.parametrize("args", [("--help",), ("metrics",), ("check", "baseline"), ("check", "department"),
                                  ("scenarios",), ("--version",)])
def test_looking_around_loads_no_heavy_stack(args: tuple[str, ...]) -> None:
    found = imported(*args)
    assert "sim" in found  # the record is read: chartsim itself shows up
    assert not found & set(HEAVY), f"chartsim {' '.join(args)} imports {sorted(found & set(HEAVY))}"
