"""Numbers about replications: intervals, comparisons, MSER-5 warm-up, sequential precision.

Plain numpy, scipy and pandas on tables of per-replication metrics: no
scenario, no simulation. The runner uses them, so they sit below ``sim.runs``.
"""
