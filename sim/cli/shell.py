"""What every command shares: the terminal consoles and the one-line error exit."""

from __future__ import annotations

import typer

from sim.cli.console import make_console, markup_safe

console = make_console()  # the terminal's width; 80 columns (or COLUMNS) into a file or pipe
err = make_console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit without a traceback."""
    err.print(f"[bold red]error:[/] {markup_safe(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
