"""Runs in the background: one id per run, progress to poll, a cancel that stops it.

The page never waits on a simulation: a run is handed to a small thread pool
owned by the server and the page polls ``/runs/{id}``. Each run keeps its own
results under its own id, so two browser tabs never see each other's.

Replications go through the job's executor (the same ``submit`` interface
as a run's process pool or a Dask client), which checks for a cancel before
it hands on each task: the server's worker processes (:class:`Pooled`,
shared by every run, started at the first one) or, with one process, this
thread (:class:`Steps`). Either makes several tasks per worker, so progress
moves often; a cancel takes effect before the next task starts, and a run
waiting on the worker processes stops waiting at once (:class:`Awaited`); the
numbers are the same whatever the executor and the task size (the runner
guarantees it).
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NotYet  # what Future.result raises when its timeout passes
from dataclasses import dataclass, field
from typing import Any

from sim.runs.executor import Inline, Submitter, stop_pool, threaded_pool, workers_of

MAX_KEPT = 40  # finished runs kept (with their results); the oldest finished is forgotten first
TASKS_PER_RUN = 4  # workers Steps reports: the runner makes a few tasks per worker (4 ran fastest)
CANCEL_POLL = 0.1  # seconds between looks at a cancel while a run waits on its worker processes


class Cancelled(Exception):
    """The run was cancelled from the page."""


@dataclass
class Job:
    """One run or staffing search, as the page sees it."""

    id: str
    kind: str  # run | staff
    title: str
    status: str = "queued"  # queued | running | done | failed | cancelled
    done: int = 0
    total: int = 0
    note: str = ""
    error: str = ""
    result: Any = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    extras: dict[str, Any] = field(default_factory=dict, repr=False)  # files made later (zip, report), by name
    pool: ProcessPoolExecutor | None = field(default=None, repr=False)  # the server's worker processes, if any

    def executor(self) -> Submitter:
        """Where this job's tasks run, a cancel checked before each: the server's worker processes, or this thread."""
        return Steps(self) if self.pool is None else Pooled(self, self.pool)

    def step(self, done: int | None = None, total: int | None = None, note: str | None = None) -> None:
        """Record progress; raises :class:`Cancelled` once the page has asked to stop."""
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        if self.cancel_event.is_set():
            raise Cancelled()

    def state(self) -> dict[str, Any]:
        """What ``/runs/{id}`` answers."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status, "done": self.done,
                "total": self.total, "note": self.note, "error": self.error,
                "seconds": round((self.finished or time.time()) - self.started, 1)}


class Steps(Inline):
    """Runs each task at once in this thread, checking for a cancel before each one."""

    workers = TASKS_PER_RUN

    def __init__(self, job: Job) -> None:
        self.job = job

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        self.job.step()
        return super().submit(fn, *args)


class Pooled:
    """Hands each task of a job to the server's worker processes, checking for a cancel first."""

    def __init__(self, job: Job, pool: ProcessPoolExecutor) -> None:
        self.job = job
        self.pool = pool
        self.workers = workers_of(pool)  # the runner sizes tasks by it

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Awaited:
        self.job.step()
        return Awaited(self.pool.submit(fn, *args), self.job)


class Awaited:
    """A task in the worker processes that its job stops waiting for once the page cancels the job.

    A department's task can take many seconds; the run's thread waits for
    its result in steps of :data:`CANCEL_POLL` seconds and, cancelled, raises
    :class:`Cancelled` at once instead of after the task. A task already
    running finishes in its worker and is dropped; those not started never run.
    """

    def __init__(self, future: Future, job: Job) -> None:
        self.future = future
        self.job = job

    def result(self) -> Any:
        while True:
            try:
                return self.future.result(timeout=CANCEL_POLL)
            except NotYet:
                self.job.step()  # raises Cancelled once the page has asked to stop

    def cancel(self) -> bool:
        return self.future.cancel()


class Jobs:
    """The server's runs by id, ``workers`` at a time (threads that wait), simulated by ``processes`` worker processes.

    The worker processes are shared by every run and started at the first
    one; with ``processes=1`` runs simulate in their own thread instead.
    """

    def __init__(self, workers: int = 2, processes: int = 1) -> None:
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chartsim-run")
        self.processes = processes
        self._workers: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def _worker_pool(self) -> ProcessPoolExecutor | None:
        """The worker processes for the next run: started now if none are, anew if one died (a broken pool)."""
        if self.processes <= 1:
            return None
        with self._lock:
            if self._workers is not None and getattr(self._workers, "_broken", False):
                stop_pool(self._workers)  # its runs failed with the worker; the next ones get new workers
                self._workers = None
            if self._workers is None:
                self._workers = threaded_pool(self.processes)
            return self._workers

    def submit(self, kind: str, title: str, work: Callable[[Job], Any]) -> Job:
        """Start ``work(job)`` in the background; its return value becomes ``job.result``."""
        job = Job(secrets.token_hex(8), kind, title, pool=self._worker_pool())
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self.threads.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        if job.cancel_event.is_set():
            job.status, job.finished = "cancelled", job.finished or time.time()
            return
        job.status = "running"
        try:
            result = work(job)
        except Cancelled:
            job.status = "cancelled"
        except Exception as exc:  # noqa: BLE001 - shown on the page, one line
            job.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            job.status = "failed"
            traceback.print_exc()
        else:
            job.result = result
            job.status = "done"
        job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a run to stop: before its next task, or at once while it waits on the worker processes.

        A queued run never starts.
        """
        job = self.get(job_id)
        if job is not None and job.status in ("queued", "running"):
            job.cancel_event.set()
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for job in sorted(finished, key=lambda j: j.finished or 0)[: max(0, len(finished) - MAX_KEPT)]:
            del self._jobs[job.id]

    def shutdown(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel_event.set()
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self._workers is not None:  # tasks not started are dropped, the workers ended now
            stop_pool(self._workers)
