"""Who is away: planned leave booked in blocks, and unplanned absence day by day.

Planned leave is booked before the horizon starts. A coder's working days
are cut into consecutive slots of ``block_days``; the coder's year of leave,
scaled to the horizon, becomes a number of blocks (a fraction of a block is
booked with that probability), placed on distinct slots at random, so the
expected share of days on leave is exactly the planned days over the
working days of a year. Every other working day the coder is away with the
unplanned probability (a sick day, a child at home). Each coder draws from
streams of their own (``absence.planned.<seat>``, ``absence.unplanned.<seat>``),
so absence never shifts the charts, billing questions or another coder's days.
"""

from __future__ import annotations

import numpy as np

from sim.model.streams import Streams
from sim.scenario.config import Absence


def expected_share(absence: Absence, working_days_per_year: int) -> float:
    """Expected share of working days a coder is away (planned, then unplanned on the days left)."""
    planned = min(1.0, absence.planned_days_per_year / working_days_per_year)
    return planned + (1 - planned) * absence.unplanned_probability


def absent_days(
    absence: Absence, seat: str, n_shifts: int, working_days_per_year: int, streams: Streams, rep: int
) -> np.ndarray:
    """One coder's absences: a boolean per working day (shift index) of the horizon."""
    away = np.zeros(n_shifts, dtype=bool)
    slots = n_shifts // absence.block_days
    if absence.planned_days_per_year > 0 and slots:
        rng = streams.get(rep, f"absence.planned.{seat}")
        blocks = absence.planned_days_per_year / working_days_per_year * n_shifts / absence.block_days
        booked = min(slots, int(blocks) + int(rng.random() < blocks - int(blocks)))
        # The few days after the last whole slot are never on leave; the expected share
        # over all days is still exact while the blocks fit in the slots.
        for slot in rng.choice(slots, size=booked, replace=False):
            away[slot * absence.block_days : (slot + 1) * absence.block_days] = True
    if absence.unplanned_probability > 0:
        rng = streams.get(rep, f"absence.unplanned.{seat}")
        away |= rng.random(n_shifts) < absence.unplanned_probability
    return away
