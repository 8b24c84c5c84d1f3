"""``chartsim serve``: the command, a thin shell that starts the what-if page.

Registered in sim/cli/app.py as ``app.command("serve")(serve_cmd)``; also runs
as ``python -m sim.serve``. FastAPI and uvicorn load only when it runs, so
``chartsim --help`` stays quick, and a missing extra is one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve_cmd(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 8050,
    host: Annotated[str, typer.Option("--host", help="address to listen on; 127.0.0.1 keeps the page on this "
                                                     "machine; the page answers only to 127.0.0.1, localhost, "
                                                     "[::1] and this name")] = "127.0.0.1",
    scenarios: Annotated[list[Path] | None, typer.Option(
        "--scenarios", metavar="DIR_OR_FILE",
        help="scenario files or folders of *.yaml to offer (repeatable; default: the bundled scenarios/); files "
             "written by chartsim fit are listed as fitted")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16,
                                         help="runs simulated at the same time (more wait in a queue)")] = 2,
    processes: Annotated[int | None, typer.Option(
        "--processes", min=1, max=256,
        help="worker processes the runs' replications share (default: this machine's CPUs, at most 8; 1 simulates "
             "in the server itself)")] = None,
) -> None:
    """Open the what-if page: change coders, volume, queries, CAC, overtime or breaks and see the answer."""
    from sim.cli.shell import console, fail

    try:
        import uvicorn

        from sim.serve.app import create_app
    except ImportError as exc:
        fail(f"serve: needs the serve extra ({exc.name} is missing): pip install 'chartsim[serve]'")
    for path in scenarios or []:
        if not path.exists():
            fail(f"--scenarios: {path} does not exist")
    app = create_app(list(scenarios) if scenarios else None, workers=workers, host=host,
                     processes=processes if processes is not None else default_processes())
    console.print(f"chartsim what-if page: http://{host}:{port}/  (Ctrl-C stops it)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def default_processes() -> int:
    """The CPUs this process may use, at most 8 (as ``--workers auto``): the page's worker processes by default."""
    from sim.runs.executor import MAX_AUTO_WORKERS, usable_cpus

    return min(usable_cpus(), MAX_AUTO_WORKERS)
