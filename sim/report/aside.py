"""Figures drawn aside: a forked child and this process take the figures in turn, whichever is free.

Drawing the figures is most of a report's time, and each figure is a pure
function of the run folder already read, so which process draws it changes
nothing in the page. On Linux with a second CPU, ``processes=2`` forks a
child that starts with the tables read and matplotlib loaded (no second
start-up, no data sent to it). The child starts on the first figure while
this process writes the workbook; from then on each process takes the next
figure no one has taken (a counter in shared memory), so neither waits long
for the other whatever the figures cost. The child sends back only its PNGs,
and the page shows every figure in reading order, as if one process had drawn
them all.

Whatever goes wrong aside (a child that fails, dies or stalls), this process
draws the figures it did not deliver: the same figures as without the child,
or the error of a figure that cannot be drawn.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from sim.report.figures import Plot

Step = Callable[[], list[Plot]]  # draws one figure (or a few, as the fan charts): sim.report.figure_steps
PATIENCE = (4.0, 30.0)  # wait for the child up to 4 × this process's own time + 30 s, then draw its figures here


def draw_steps(steps: list[Step], processes: int = 1, meanwhile: Callable[[], object] | None = None) -> list[Plot]:
    """Every step's figures, in order, drawn here or (``processes=2``) shared with a child; ``meanwhile`` runs here."""
    if processes < 2 or len(steps) < 2 or not _can_fork():
        if meanwhile is not None:
            meanwhile()
        return [plot for step in steps for plot in step()]
    # Objects made so far are left out of collections while the child lives:
    # neither process copies the pages they share only to scan them.
    gc.freeze()
    try:
        import matplotlib.backends.backend_agg  # noqa: F401  (loaded once, here: the child starts with it)
        import matplotlib.figure  # noqa: F401

        drawn = _with_child(steps, meanwhile)
    finally:
        gc.unfreeze()
    for i, step in enumerate(steps):
        if i not in drawn:  # the child took it and did not deliver: drawn here (an error raises here, as alone)
            drawn[i] = step()
    return [plot for i in range(len(steps)) for plot in drawn[i]]


def _with_child(steps: list[Step], meanwhile: Callable[[], object] | None) -> dict[int, list[Plot]]:
    """The figures of each step drawn here or delivered by a forked child, by the step's place."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    try:
        turn = context.Value("i", 0)  # the next step no process has taken
        child = context.Process(target=_draw_and_send, args=(steps, turn, send), daemon=True)
        child.start()
    except OSError:  # no shared memory or process to be had (no /dev/shm, a limit on processes): all drawn here
        receive.close()
        send.close()
        if meanwhile is not None:
            meanwhile()
        return {i: step() for i, step in enumerate(steps)}
    send.close()
    try:
        start = time.monotonic()
        if meanwhile is not None:
            meanwhile()
        here = dict(_turns(steps, turn))  # a figure that fails raises here
        patience = PATIENCE[0] * (time.monotonic() - start) + PATIENCE[1]
        return {**_received(receive, child, patience), **here}
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def _can_fork() -> bool:
    """Fork only where it is the usual way to start a process (Linux) and a second CPU can take the child."""
    return sys.platform == "linux" and len(os.sched_getaffinity(0)) > 1


def _draw_and_send(steps: list[Step], turn: Any, send: Connection) -> None:
    """In the child: take turns, and send what was drawn (a step that fails is left to the parent, which says why)."""
    drawn: dict[int, list[Plot]] = {}
    try:
        for i, plots in _turns(steps, turn):
            drawn[i] = plots
    except BaseException:  # the step is drawn again in the parent, which reports the error
        pass
    try:
        send.send(drawn)
    except (OSError, ValueError):  # the parent stopped waiting
        pass


def _turns(steps: list[Step], turn: Any) -> Iterator[tuple[int, list[Plot]]]:
    """(place, figures) of each step this process takes, the next one no process has taken, until none is left."""
    while True:
        with turn.get_lock():
            i = turn.value
            turn.value = i + 1
        if i >= len(steps):
            return
        yield i, steps[i]()


def _received(receive: Connection, child: multiprocessing.process.BaseProcess, seconds: float,
              ) -> dict[int, list[Plot]]:
    """What the child sent within ``seconds`` (nothing if it failed before sending, died or stalled)."""
    if not wait([receive, child.sentinel], timeout=seconds):
        return {}
    try:
        drawn = receive.recv() if receive.poll() else {}
    except (EOFError, OSError):
        return {}
    return drawn if isinstance(drawn, dict) else {}
