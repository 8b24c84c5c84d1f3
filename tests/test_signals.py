"""Ctrl-C, SIGTERM and SIGKILL stop a real ``chartsim run`` and its workers promptly.

Each test starts ``python -m sim run`` with two worker processes on a run
that would take minutes, waits until it simulates, signals the parent only,
and checks what a user would: the exit status, one line on stderr, no worker
left alive, and the folders left behind (a resumable ``OUT.partial``,
for a plain run as for a ``--precision`` one; nothing else).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.runs.checkpoint import CHECKPOINT, load_checkpoint
from sim.runs.executor import _start_method, _worker_started, executing, stop_pool
from sim.runs.folders import OWNER, claim, reclaim
from tests.conftest import ROOT, SCENARIOS

psutil = pytest.importorskip("psutil")

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and PR_SET_PDEATHSIG as on Linux"),
    pytest.mark.xdist_group("signals"),  # one at a time: each keeps two cores busy while it runs
]

LONG_RUN = ["--reps", "200", "--workers", "2", "--no-charts"]  # minutes of simulation if left alone
PRECISION = ["--precision", "0.0001", "--max-reps", "100000"]
STARTUP = 60.0  # seconds allowed to reach the simulation on a busy machine
PROMPT = 10.0  # seconds allowed to stop


def _start(out: Path, *extra: str) -> tuple[subprocess.Popen, list]:
    """The run in its own session with Ctrl-C at its default (a background shell's children ignore it); its workers."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(SCENARIOS / "department.yaml"), "--out", str(out), *LONG_RUN, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        workers = psutil.Process(proc.pid).children(recursive=True)
        if len(workers) >= 2 and any(out.parent.iterdir()):  # folder claimed, workers started
            time.sleep(0.5)  # well into the first tasks
            return proc, psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"the run did not start simulating within {STARTUP:.0f} s")


def _gone(processes: list, within: float = PROMPT) -> list:
    """The processes still alive after ``within`` seconds (a zombie waiting for init to reap it is gone)."""
    deadline = time.monotonic() + within
    while True:
        alive = []
        for p in processes:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _stop(proc: subprocess.Popen, sig: signal.Signals) -> tuple[int, str, float]:
    started = time.monotonic()
    os.kill(proc.pid, sig)
    try:
        _, stderr = proc.communicate(timeout=PROMPT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {PROMPT:.0f} s after {sig.name}")
    return proc.returncode, stderr, time.monotonic() - started


def _hidden(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_run_and_its_workers_and_keeps_it_resumable(sig: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc, workers = _start(out)
    code, stderr, _ = _stop(proc, sig)
    assert code == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    word = "interrupted" if sig == signal.SIGINT else "terminated"
    assert lines[0].startswith(f"{word}: ") and f"--resume {out}.partial" in lines[0], lines[0]
    assert _gone(workers) == []
    partial = out.with_name("out.partial")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.partial"]
    assert not (partial / OWNER).exists() and (partial / CHECKPOINT).is_dir()
    settings, _ = load_checkpoint(partial)  # resumable: the run's settings are there
    assert settings["reps"] == 200


def test_sigterm_stops_a_precision_run_and_keeps_it_resumable(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc, workers = _start(out, *PRECISION)
    code, stderr, _ = _stop(proc, signal.SIGTERM)
    assert code == 130 and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("terminated: ") and f"--resume {out}.partial" in stderr, stderr
    assert _gone(workers) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.partial"]
    settings, _ = load_checkpoint(out.with_name("out.partial"))
    assert settings["plan"].precision == 0.0001 and settings["plan"].max_reps == 100000


def test_a_stopped_pool_leaves_nothing_for_the_exit_handler() -> None:
    """The pool's manager thread has ended, its wake-up pipe closed, before the interpreter's exit handler runs.

    Left running, it closes that pipe while Python 3.11's handler writes to
    it, and a traceback follows the one-line message (seen once in CI).
    """
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=2, mp_context=_start_method(), initializer=_worker_started,
                               initargs=(os.getpid(),))  # as sim.runs.executor.executing makes it on Linux
    futures = [pool.submit(time.sleep, 60) for _ in range(4)]
    deadline = time.monotonic() + STARTUP
    while not any(f.running() for f in futures) and time.monotonic() < deadline:
        time.sleep(0.05)
    manager = pool._executor_manager_thread
    wakeup = pool._executor_manager_thread_wakeup
    started = time.monotonic()
    stop_pool(pool)
    assert time.monotonic() - started < PROMPT
    assert manager is not None and not manager.is_alive() and wakeup._closed


@pytest.mark.skipif(_start_method() is None, reason="workers are forked on Linux only")
def test_forked_workers_start_when_the_pool_is_entered_before_the_caller_starts_threads() -> None:
    """``executing`` forks every worker on entry, so the commands start them before their progress bar's thread.

    A pool forks at its first task; by then the bar's thread could hold a lock (the terminal's) that every
    worker would inherit locked. Entering the pool first forks before any Python thread of the pool's or the
    caller's starts (native libraries' idle thread pools are not Python threads and are not counted here).
    """
    import threading

    threads_at_fork: list[int] = []
    recording = True
    os.register_at_fork(before=lambda: threads_at_fork.append(threading.active_count()) if recording else None)
    alone = threading.active_count()
    try:
        with executing(2) as pool:
            assert len(pool._processes) == 2  # forked already, no task of the caller's submitted yet
            assert pool.submit(int, "7").result() == 7
    finally:
        recording = False
    assert threads_at_fork == [alone, alone]  # neither the pool's threads nor any other had started


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL gives the parent no chance to clean up: the kernel ends the workers (PR_SET_PDEATHSIG)."""
    out = tmp_path / "out"
    proc, workers = _start(out)
    code, _, _ = _stop(proc, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert _gone(workers, within=5.0) == []
    partial = out.with_name("out.partial")
    assert (partial / OWNER).exists()  # a dead owner's
    taken = reclaim(partial)  # does not block --resume
    load_checkpoint(partial)
    taken.release()
    assert partial.is_dir() and not (partial / OWNER).exists()


SERVER_POOL = """
import sys, threading, time
from sim.runs.executor import threaded_pool
if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()  # a process with threads, as the server
    pool = threaded_pool(2)
    futures = [pool.submit(time.sleep, 600) for _ in range(2)]  # tasks that would hold the workers for minutes
    while len(pool._processes) < 2:
        time.sleep(0.1)
    print("started", flush=True)
    time.sleep(600)
"""


def test_the_pages_workers_and_fork_server_die_with_a_killed_server(tmp_path: Path) -> None:
    """The page's workers start from a fork server (the server runs threads), and each holds it open: killed
    outright, even while its workers are still starting, the server takes them with it, and the fork server
    ends with them."""
    script = tmp_path / "server.py"
    script.write_text(SERVER_POOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        family = psutil.Process(proc.pid).children(recursive=True)  # fork server, workers, resource tracker
        assert len(family) >= 3
    finally:
        proc.kill()
        proc.wait(10)
    assert _gone(family, within=5.0) == []


def test_a_killed_precision_runs_folder_outlives_the_next_runs_sweep(tmp_path: Path) -> None:
    """A killed run's ``OUT.partial`` is kept for --resume: the next run sweeps temporary folders, not it."""
    proc, workers = _start(tmp_path / "out", *PRECISION)
    _stop(proc, signal.SIGKILL)
    assert _gone(workers, within=5.0) == []
    assert (tmp_path / "out.partial" / CHECKPOINT).is_dir() and _hidden(tmp_path) == []
    with claim(tmp_path / "next"):
        assert _hidden(tmp_path) == [".next.chartsim-tmp"]
    assert _hidden(tmp_path) == [] and (tmp_path / "next").is_dir()
    assert (tmp_path / "out.partial" / CHECKPOINT).is_dir()
    settings, _ = load_checkpoint(tmp_path / "out.partial")
    assert settings["plan"].precision == 0.0001


def test_sigterm_to_a_command_without_its_own_handler_says_terminated() -> None:
    """A command that does not say how it stopped (report, check…) is stopped by SIGTERM as 'terminated', exit 130
    (typer turns the stop into a bare exit status; it said 'interrupted' for both signals)."""
    script = ("import sys, time\nimport sim.cli.app as cli\n"
              "@cli.app.command('nap')\ndef nap() -> None:\n    print('napping', flush=True)\n    time.sleep(60)\n"
              "sys.argv = ['chartsim', 'nap']\ncli.main()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    assert proc.stdout.readline().strip() == "napping"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=PROMPT)
    assert proc.returncode == 130 and err.strip() == "terminated", err
