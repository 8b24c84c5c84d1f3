"""Figures drawn aside: a forked child draws every other figure while this process draws the rest.

Drawing the figures is most of a report's time, and each figure is a pure
function of the run folder already read, so which process draws it changes
nothing in the page. On Linux with a second CPU, ``processes=2`` forks a
child that starts with the tables read and matplotlib loaded (no second
start-up, no data sent to it) and sends back only its figures' PNGs, while
this process draws the others and writes the workbook. The page then shows
every figure in reading order, as if one process had drawn them all.

Whatever goes wrong aside (a child that fails, dies or stalls), this process
draws those figures itself: the same figures, or the same error, as without
the child.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait

from sim.report.figures import Plot

Step = Callable[[], list[Plot]]  # draws one figure (or a few, as the fan charts): sim.report.figure_steps
PATIENCE = (4.0, 30.0)  # wait for the child up to 4 × this process's own time + 30 s, then draw its figures here


def draw_steps(steps: list[Step], processes: int = 1, meanwhile: Callable[[], object] | None = None) -> list[Plot]:
    """Every step's figures, in order, drawn here or (``processes=2``) half of them aside; ``meanwhile`` runs here."""
    aside = steps[1::2] if processes >= 2 and len(steps) > 1 and _can_fork() else []
    if not aside:
        if meanwhile is not None:
            meanwhile()
        return _drawn(steps)
    import matplotlib.backends.backend_agg  # noqa: F401  (loaded once, here: the child starts with it)
    import matplotlib.figure  # noqa: F401

    # Objects made so far are left out of collections while the child lives:
    # neither process copies the pages they share only to scan them.
    gc.freeze()
    try:
        here, theirs = _with_child(aside, steps[0::2], meanwhile)
    finally:
        gc.unfreeze()
    if theirs is None or len(theirs) != len(aside):
        theirs = [step() for step in aside]  # drawn here after all (a failing figure raises here, as it would alone)
    ordered: list[list[Plot]] = [[] for _ in steps]
    ordered[0::2], ordered[1::2] = here, theirs
    return [plot for plots in ordered for plot in plots]


def _with_child(aside: list[Step], mine: list[Step], meanwhile: Callable[[], object] | None,
                ) -> tuple[list[list[Plot]], list | None]:
    """``mine`` drawn here after ``meanwhile``, and what a forked child sent of ``aside`` (``None``: nothing)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_draw_and_send, args=(aside, send), daemon=True)
    try:
        child.start()
    except OSError:  # no process to be had (a limit on processes or memory): all drawn here
        child = None
    send.close()
    try:
        start = time.monotonic()
        if meanwhile is not None:
            meanwhile()
        here = [step() for step in mine]
        patience = PATIENCE[0] * (time.monotonic() - start) + PATIENCE[1]
        return here, (_received(receive, child, patience) if child is not None else None)
    finally:
        receive.close()
        if child is not None:
            if child.is_alive():
                child.kill()
            child.join()


def _drawn(steps: list[Step]) -> list[Plot]:
    return [plot for step in steps for plot in step()]


def _can_fork() -> bool:
    """Fork only where it is the usual way to start a process (Linux) and a second CPU can take the child."""
    return sys.platform == "linux" and len(os.sched_getaffinity(0)) > 1


def _draw_and_send(steps: list[Step], send: Connection) -> None:
    """In the child: each step's figures, or ``None`` if any failed (this process says nothing: the parent will)."""
    try:
        plots = [step() for step in steps]
    except BaseException:  # drawn again in the parent, which reports the error
        plots = None
    try:
        send.send(plots)
    except (OSError, ValueError):  # the parent stopped waiting
        pass


def _received(receive: Connection, child: multiprocessing.process.BaseProcess, seconds: float) -> list | None:
    """What the child sent within ``seconds``, or ``None`` if it sent nothing (it failed, died or stalled)."""
    if not wait([receive, child.sentinel], timeout=seconds):
        return None
    try:
        return receive.recv() if receive.poll() else None
    except (EOFError, OSError):
        return None
