"""chartsim: a discrete-event simulator of medical-coding work.

Python API::

    import sim
    scenario = sim.load_scenario("scenarios/baseline.yaml")
    results = sim.run(scenario, reps=200, seed=7)
    results.summary          # pandas DataFrame
"""

from sim.runner import Results, run
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "run"]
