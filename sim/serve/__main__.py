"""``python -m sim.serve [--port N]``: the what-if page without the chartsim command."""

import typer

from sim.cli.serve import serve_cmd

if __name__ == "__main__":
    typer.run(serve_cmd)
