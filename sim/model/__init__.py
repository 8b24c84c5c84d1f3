"""The SimPy model: charts, work queues, coders, physicians and absence. No I/O here.

``department`` builds one replication's department and runs it
(:func:`~sim.model.department.simulate`); ``charts`` draws the charts,
``worklist`` queues them, ``coder`` and ``physician`` are the processes,
``absence`` the days away. ``streams`` names every random stream and
``records`` holds the plain arrays the model fills for the tables.
"""
