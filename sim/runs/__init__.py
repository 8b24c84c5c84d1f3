"""Replications on an executor, into tables, metrics and a run folder.

``tasks`` simulates a range of replications where a worker runs them and
reduces them to tables (``tables``) and metrics (``metrics``, named and
formatted by ``registry``); ``executor`` spreads tasks over processes or Dask;
``runner`` gathers them into :class:`~sim.runs.runner.Results`; ``folders``
claims a run folder, ``write`` writes it, checkpoints and resumes.
"""
