"""``chartsim scenarios``: the scenarios that come with chartsim, listed, and copied to start one's own.

Registered in sim/cli/app.py as ``app.add_typer(scenarios_app)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.shell import console, fail

scenarios_app = typer.Typer(
    name="scenarios", invoke_without_command=True, no_args_is_help=False,
    help="List the bundled scenarios (run one by name: chartsim run baseline), or copy one to start your own.",
)


@scenarios_app.callback()
def listing(ctx: typer.Context) -> None:
    """List the bundled scenarios with their one-line descriptions."""
    if ctx.invoked_subcommand is not None:
        return
    from sim.cli.console import markup_safe
    from sim.scenario.bundled import description, names

    if not names():
        fail("no bundled scenarios found (a broken install?)")
    width = max(len(n) for n in names())
    for name in names():
        console.print(f"{name:<{width}}  {markup_safe(description(name))}", highlight=False, soft_wrap=True)


@scenarios_app.command("copy")
def copy_cmd(
    name: Annotated[str, typer.Argument(help="a bundled scenario (see chartsim scenarios)")],
    dest: Annotated[Path, typer.Argument(help="the new scenario file (or a folder to copy it into)")],
    force: Annotated[bool, typer.Option("--force", help="overwrite files that exist")] = False,
) -> None:
    """Copy a bundled scenario to DEST to edit, with the scenario it extends: copied alongside."""
    from sim.cli.console import markup_safe
    from sim.scenario.bundled import copy
    from sim.scenario.config import load_scenario
    from sim.scenario.errors import ScenarioError

    try:
        written = copy(name, dest, force)
        target = written[0] if written else dest
        load_scenario(dest / f"{name}.yaml" if dest.is_dir() else dest)  # the copy runs as it is
    except ScenarioError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{dest}: cannot write ({exc.strerror})")
    for path in written:
        console.print(f"wrote {markup_safe(path)}", highlight=False, soft_wrap=True)
    if not written:
        console.print(f"{markup_safe(target)}: already a copy of {name}", highlight=False)
