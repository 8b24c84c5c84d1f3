"""The coding vendor: charts sent out at arrival and returned coded after the vendor's turnaround.

A chart's fate is drawn when it is created, from a stream of its own
(``charts.vendor``, read only when the scenario outsources, so every other
draw is the same with and without a vendor): whether it goes to the vendor,
how long the vendor takes and whether it comes back with an error. A chart's
draws do not depend on the share, so a larger share sends the same charts
and more (common random numbers across plans).

The vendor has no queue of its own here: it takes every chart at once (an
M/G/∞ station), so a chart's turnaround is the vendor's turnaround. The chart
is opened at arrival (``started_at``), coded and billable when returned
(``coded_at``, empty when the return falls after the end of the run), and
never passes through a coder's worklist.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.economics import Outsourcing

if TYPE_CHECKING:
    from sim.model.charts import Charts


def send_to_vendor(
    outsourcing: Outsourcing, kinds: list[str], charts: Charts, u: np.ndarray, end: float, audits: bool,
    first: int = 0,
) -> None:
    """Mark the charts the vendor codes and set when each comes back; ``u``: one row of 3 uniforms per chart.

    Charts before id ``first`` (open at a starting state, in the department's hands) are never sent.

    Columns of ``u``: sent (below the type's share), turnaround (inverse
    transform of the vendor's distribution), error (below the error rate).
    Charts coded by the vendor are not sampled for the department's
    pre-bill audits (``audits``).
    """
    share = np.array([outsourcing.share.get(k, 0.0) for k in kinds], dtype=float)
    kind = np.array(charts.kind, dtype=int)
    sent = (u[:, 0] < share[kind]).tolist() if len(charts) else []
    sent[:first] = [False] * min(first, len(sent))
    turnaround = outsourcing.turnaround.minutes(u[:, 1]).tolist()
    error = (u[:, 2] < outsourcing.error_rate).tolist()
    nan = math.nan
    charts.outsourced = sent
    charts.vendor_error = [out and e for out, e in zip(sent, error)]
    arrived, started, coded = charts.arrived_at, charts.started_at, charts.coded_at
    for i, (out, t) in enumerate(zip(sent, turnaround)):
        if out:
            back = arrived[i] + t
            started[i] = arrived[i]
            coded[i] = back if back <= end else nan
            if audits:
                charts.to_audit[i] = False


def in_house(charts: Charts, first: int = 0) -> list[int]:
    """The charts left for the department's coders (those not sent to the vendor), from id ``first``, in queue order."""
    if not charts.outsourced:
        return list(range(first, len(charts)))
    sent = charts.outsourced
    return [i for i in range(first, len(charts)) if not sent[i]]
