"""Where replications run: this process, a pool of worker processes, or a Dask cluster.

Everything that simulates — ``run``, ``--precision``, sweeps, ``staff``,
``select`` and the validation suite — hands tasks to one kind of object with
``submit(fn, *args)`` returning a future with ``result()``: a
``concurrent.futures`` executor or a ``dask.distributed.Client`` both fit.
Results are taken back in the order the tasks were given, with a bounded
number in flight, so output never depends on which worker finished first
and the parent holds only a few tasks' results at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol


class Submitter(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


class Inline:
    """Runs each task at once in this process (one worker: no pickling, no start-up)."""

    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)
        return future


@contextmanager
def executing(workers: int = 1, executor: Submitter | None = None) -> Iterator[Submitter]:
    """The executor to use: the one given, else a process pool of ``workers`` (inline for one)."""
    if executor is not None:
        yield executor
    elif workers <= 1:
        yield Inline()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool


def in_order(executor: Submitter, fn: Callable[..., Any], tasks: Iterable[tuple], window: int = 8) -> Iterator[Any]:
    """``fn(*task)`` for each task, results yielded in task order, at most ``window`` tasks in flight.

    Lazy: a task is generated (and its arguments built) only when there is
    room for it. Inline executors run each task as it is submitted, so the
    window bounds memory there too.
    """
    if isinstance(executor, Inline):
        window = 1  # each task already ran when submitted: hand it on at once
    pending: deque = deque()
    for task in tasks:
        pending.append(executor.submit(fn, *task))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def workers_of(executor: Submitter) -> int:
    """How many tasks the executor can run at once (for sizing chunks and the window)."""
    n = getattr(executor, "workers", None) or getattr(executor, "_max_workers", None)
    if n is None and hasattr(executor, "nthreads"):  # dask.distributed.Client
        try:
            n = sum(executor.nthreads().values())
        except Exception:  # noqa: BLE001 - a cluster that cannot say
            n = None
    return int(n or 1)
