"""``python -m sim`` is ``chartsim``."""

from sim.cli import main

main()
