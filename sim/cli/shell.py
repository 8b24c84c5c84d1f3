"""What every command shares: the terminal consoles, the one-line error exit, loading a scenario, claiming an output
folder, a Dask cluster and the one line for Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from sim.cli.console import make_console, markup_safe

if TYPE_CHECKING:
    from sim.scenario.config import Scenario

console = make_console()  # the terminal's width; 80 columns (or COLUMNS) into a file or pipe
err = make_console(stderr=True)
T = TypeVar("T")
MAX_WORKERS = 256

# ``--workers`` of every command that simulates: a count, or ``auto`` (the default).
Workers = Annotated[str, typer.Option(
    "--workers", metavar="N|auto",
    help="worker processes: 1 to 256, or auto: every CPU (at most 8) when the work is big enough to repay "
         "starting them (about 100,000 charts), else 1. The numbers are the same whatever the count")]


def charts_per_replication(config: Scenario, variants: bool = False) -> float:
    """Charts a replication of the scenario is expected to simulate (``variants``: of the base and every variant)."""
    one = sum(config.expected_charts().values())
    return one * (1 + len(config.expanded())) if variants else one


def workers_for(option: str, charts: Callable[[], float]) -> int:
    """The worker processes ``--workers`` asks for; ``auto`` sizes them by the ``charts`` the work expects."""
    count = workers_count(option)
    if count is None:
        from sim.runs.executor import auto_workers

        return auto_workers(charts())
    return count


def workers_count(option: str) -> int | None:
    """``--workers`` as a count, None for ``auto``; anything else is refused in one line (exit status 2)."""
    text = option.strip().lower()
    if text == "auto":
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_WORKERS):
        fail(f"--workers must be a whole number from 1 to {MAX_WORKERS}, or auto (got {option!r})")
    return int(text)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit without a traceback."""
    err.print(f"[bold red]error:[/] {markup_safe(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load(path: Path, changes: dict | None = None):
    """The scenario at ``path`` (a file or a bundled name), or its one-line refusal and exit status 2."""
    from sim.scenario.config import load_scenario
    from sim.scenario.errors import ScenarioError

    try:
        return load_scenario(path, changes=changes)
    except ScenarioError as exc:
        fail(str(exc))


def claimed(take: Callable[..., T], *args: object) -> T:
    """The output folder, claimed by ``take`` before anything is simulated; a refusal is one line, exit status 2."""
    from sim.runs.folders import OutputError

    try:
        return take(*args)
    except OutputError as exc:
        fail(str(exc))
        raise  # not reached: fail exits


def stopped(exc: KeyboardInterrupt, what: str) -> NoReturn:
    """One line for Ctrl-C or SIGTERM, exit status 130."""
    from sim.runs.executor import Terminated

    word = "terminated" if isinstance(exc, Terminated) else "interrupted"
    err.print(f"{word}: {markup_safe(what)}", highlight=False, soft_wrap=True)
    said_stopped.append(word)
    raise typer.Exit(130) from None


said_stopped: list[str] = []  # the line stopped() printed, so main() does not print another


@contextmanager
def dask_client(address: str | None) -> Iterator[object | None]:
    """A client of the Dask scheduler at ``address`` (None: run locally)."""
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        fail("--dask: needs the distributed package (pip install 'chartsim[dask]')")
    try:
        client = Client(address, timeout="10s")
    except Exception as exc:  # noqa: BLE001  (whatever answers there, if not a scheduler: one line, not a traceback)
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        fail(f"--dask: cannot reach a Dask scheduler at {address!r} ({detail})")
    with client:
        yield client
