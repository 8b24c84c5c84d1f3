"""Replications on an executor, into tables, metrics and a run folder.

``tasks`` simulates a range of replications where a worker runs them and
reduces them to tables (``tables``) and metrics (``metrics``, named and
formatted by ``registry``); ``executor`` spreads tasks over processes or Dask;
``runner`` gathers them into :class:`~sim.runs.runner.Results`. ``folders``
claims a run folder, ``checkpoint`` saves finished tasks for ``--resume``,
``write`` writes the files, and ``folder`` is the one call that does it all
(:func:`~sim.runs.folder.run_to_folder`). (Not ``sim.run``: that is the function.)
"""
