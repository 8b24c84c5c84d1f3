"""``python -m sim`` is ``chartsim``."""

from sim.cli.app import main

main()
