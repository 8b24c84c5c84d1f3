"""The scenario: a YAML file and what it means, read once into a frozen config.

Reading a file within bounds (``files``), the shared frozen base (``schema``),
the working calendar (``calendar``), time and count distributions
(``distributions``), the department-realism sections (``realism``) and the
scenario itself with its what-if variants (``config``). Nothing here
simulates; everything below ``sim/`` reads a :class:`~sim.scenario.config.Scenario`.
"""
