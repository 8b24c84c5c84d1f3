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
    from sim.model.charts import Chart


def send_to_vendor(
    outsourcing: Outsourcing, kinds: list[str], charts: list[Chart], u: np.ndarray, end: float, audits: bool
) -> None:
    """Mark the charts the vendor codes and set when each comes back; ``u``: one row of 3 uniforms per chart.

    Columns of ``u``: sent (below the type's share), turnaround (inverse
    transform of the vendor's distribution), error (below the error rate).
    Charts coded by the vendor are not sampled for the department's
    pre-bill audits (``audits``).
    """
    share = np.array([outsourcing.share.get(k, 0.0) for k in kinds], dtype=float)
    kind = np.fromiter((c.kind for c in charts), dtype=int, count=len(charts))
    sent = (u[:, 0] < share[kind]).tolist() if len(charts) else []
    turnaround = outsourcing.turnaround.minutes(u[:, 1]).tolist()
    error = (u[:, 2] < outsourcing.error_rate).tolist()
    nan = math.nan
    for chart, out, t, e in zip(charts, sent, turnaround, error):
        chart.outsourced = out
        chart.vendor_error = out and e
        if out:
            back = chart.arrived_at + t
            chart.started_at = chart.arrived_at
            chart.coded_at = back if back <= end else nan
            if audits:
                chart.to_audit = False


def in_house(charts: list[Chart]) -> list[Chart]:
    """The charts left for the department's coders (those not sent to the vendor), in queue order."""
    return [c for c in charts if not c.outsourced]
