"""Where replications run: this process, a pool of worker processes, or a Dask cluster.

Everything that simulates — ``run``, ``--precision``, sweeps, ``staff``,
``select`` and the validation suite — hands tasks to one kind of object with
``submit(fn, *args)`` returning a future with ``result()``: a
``concurrent.futures`` executor or a ``dask.distributed.Client`` both fit.
Results are taken back in the order the tasks were given, with a bounded
number in flight, so output never depends on which worker finished first
and the parent holds only a few tasks' results at a time.

Stopping is the parent's job. Workers ignore Ctrl-C and die with their
parent, even one killed outright; the parent, interrupted (Ctrl-C, or SIGTERM
through :func:`stop_on_signals`), cancels what has not started and ends its
workers at once rather than after every task already submitted.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_GRACE = 2.0  # seconds the workers of an interrupted pool get to exit after SIGTERM, before SIGKILL
MAX_AUTO_WORKERS = 8  # a manager's workstation: each worker holds a task's tables, about 100–200 MB
# Expected charts below which ``auto`` keeps to this process: about a second of simulating on one core,
# where forking workers and sending their tables back would cost about as much as they save.
AUTO_MIN_CHARTS = 100_000


class Submitter(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


class Inline:
    """Runs each task at once in this process (one worker: no pickling, no start-up)."""

    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except KeyboardInterrupt:
            raise  # stop now, not when the result is asked for
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)
        return future


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main process: stopped like Ctrl-C, reported as 'terminated'."""


STOPPED_BY: list[str] = []  # how the first stop came ("interrupted" | "terminated"): said by the command line


def stop_on_signals() -> None:
    """In the main thread of the main process: SIGTERM stops like Ctrl-C; a second signal quits at once.

    The first SIGINT or SIGTERM raises (KeyboardInterrupt or
    :class:`Terminated`), so folders are tidied and workers ended on the way
    out; a second one while that happens exits with status 130 straight away
    (the workers follow, see :func:`_worker_started`).
    """
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            os._exit(130)
        stopping = True
        STOPPED_BY.append("terminated" if signum == signal.SIGTERM else "interrupted")
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _start_method() -> multiprocessing.context.BaseContext | None:
    """Workers are forked on Linux, whatever the interpreter's default; elsewhere they start the platform's way.

    A forked worker starts with everything the parent imported (none of its
    own imports to pay) and is the parent's own child, which
    :func:`_worker_started` relies on. Python 3.14 made ``forkserver`` the
    default on Linux: there a worker's parent is the fork server instead.
    """
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _worker_started(parent: int | None) -> None:
    """In each worker process: leave Ctrl-C and SIGTERM handling to the parent, and die with it.

    A terminal's Ctrl-C reaches every process of the foreground group; the
    parent stops the workers, which would otherwise each print a traceback.
    On Linux the kernel sends SIGKILL to the worker when its parent ends, even
    by SIGKILL. (It follows the parent *thread* that forked the worker: pools
    start their workers from the thread that submits, here the main one.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    die_with_parent()
    if parent is not None and os.getppid() != parent:  # the (forking) parent ended before prctl took effect
        os._exit(1)


def die_with_parent() -> None:
    """On Linux, have the kernel send this process SIGKILL when its parent (thread) ends; elsewhere nothing."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl in this C library: workers then outlive a killed parent
            pass


@contextmanager
def executing(workers: int = 1, executor: Submitter | None = None) -> Iterator[Submitter]:
    """The executor to use: the one given, else a process pool of ``workers`` (inline for one)."""
    if executor is not None:
        yield executor
    elif workers <= 1:
        yield Inline()
    else:
        context = _start_method()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_started,
                                   initargs=(os.getpid() if context is not None else None,))
        try:
            if context is not None:
                # Forked workers start now, all at once (a pool forks them at its first task), so a caller that
                # enters this before starting Python threads of its own (a progress bar's, which holds the
                # terminal's locks while it draws) never has them copied, mid-lock, into every worker. The idle
                # thread pools of native libraries (OpenBLAS, Arrow) handle a fork themselves; Python 3.12+
                # still counts them when it warns about forking a process with threads.
                pool.submit(int).result()
            yield pool
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)


def threaded_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for a process that runs threads of its own (the what-if page's server).

    Forking a process with threads running can copy a lock another thread
    holds into the child; so these workers start from a fork server, itself
    started with the simulation's modules loaded (each worker then starts
    without importing them), or are spawned where there is no fork server.
    Like a run's workers they ignore Ctrl-C; they are not the server's
    children, so each watches the server itself and ends when it does, even
    when it is killed outright (:func:`_serving`). The fork server ends when
    its last worker has: each holds it open.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.runs.tasks"])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_serving, initargs=(os.getpid(),))


def _serving(server: int) -> None:
    """In each worker of a :func:`threaded_pool`: as :func:`_worker_started`, and end at once when ``server`` does.

    A thread waits on the server's process descriptor (Linux 5.3 and later).
    A server already gone when the worker starts (killed while the worker was
    still starting) ends it at once. Where there are no process descriptors,
    a worker outlives a killed server until its task ends (it then finds its
    queue closed).
    """
    _worker_started(None)
    try:
        handle = os.pidfd_open(server)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd_open here
        return

    def watch() -> None:
        select.select([handle], [], [])  # readable once the server has ended
        os._exit(1)

    threading.Thread(target=watch, name="chartsim-server-watch", daemon=True).start()


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the tasks not yet started and end the workers now (SIGTERM, then SIGKILL after a grace).

    The pool's manager thread is waited for too: it closes its wake-up pipe
    on the way out, and Python 3.11's exit handler, writing to that pipe at
    the same moment, would print a traceback after the one-line message.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way to reach them
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            process.kill()
    if manager is not None:
        manager.join(STOP_GRACE)


def in_order(executor: Submitter, fn: Callable[..., Any], tasks: Iterable[tuple], window: int = 8) -> Iterator[Any]:
    """``fn(*task)`` for each task, results yielded in task order, at most ``window`` tasks in flight.

    Lazy: a task is generated (and its arguments built) only when there is
    room for it. Inline executors run each task as it is submitted, so the
    window bounds memory there too.
    """
    if isinstance(executor, Inline):
        window = 1  # each task already ran when submitted: hand it on at once
    pending: deque = deque()
    try:
        for task in tasks:
            pending.append(executor.submit(fn, *task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # interrupted or abandoned: what has not started need not run (a Dask cluster's too)
        for future in pending:
            future.cancel()


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity where the system has one (Linux), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def auto_workers(charts: float) -> int:
    """Worker processes for ``--workers auto``, given the charts the work is expected to simulate.

    Every usable CPU, at most :data:`MAX_AUTO_WORKERS`, for work of at
    least :data:`AUTO_MIN_CHARTS` charts; below that (about a second's work
    on one core), this process alone: starting workers would cost about what
    they save. The
    numbers are the same whatever the count: it changes only how long a
    run takes and how much memory it holds.
    """
    return min(usable_cpus(), MAX_AUTO_WORKERS) if charts >= AUTO_MIN_CHARTS else 1


def processes_of(executor: Submitter) -> int:
    """How many processes simulate: this one alone for an inline executor (however many tasks it asks for)."""
    return 1 if isinstance(executor, Inline) else workers_of(executor)


def workers_of(executor: Submitter) -> int:
    """How many tasks the executor can run at once (for sizing chunks and the window)."""
    n = getattr(executor, "workers", None) or getattr(executor, "_max_workers", None)
    if n is None and hasattr(executor, "nthreads"):  # dask.distributed.Client
        try:
            n = sum(executor.nthreads().values())
        except Exception:  # noqa: BLE001 - a cluster that cannot say
            n = None
    return int(n or 1)
