"""chartsim: a discrete-event simulator of medical-coding work.

Python API::

    import sim
    scenario = sim.load_scenario("scenarios/baseline.yaml")
    results = sim.run(scenario, reps=200, seed=7)
    results.summary          # pandas DataFrame
    sim.run_to_folder(scenario, "runs/baseline", reps=200, seed=7)  # as ``chartsim run``: a run folder

Names load on first use, so ``chartsim --help`` and scenario checks do not
pay for pandas and scipy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.runs.folder import run_to_folder
    from sim.runs.runner import Results, run
    from sim.scenario.config import Scenario, load_scenario
    from sim.scenario.errors import ScenarioError

_HOMES = {
    "Results": "sim.runs.runner",
    "run": "sim.runs.runner",
    "run_to_folder": "sim.runs.folder",
    "Scenario": "sim.scenario.config",
    "ScenarioError": "sim.scenario.errors",
    "load_scenario": "sim.scenario.config",
}

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "run", "run_to_folder"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
