"""The ``chartsim`` command: a shell over the Python API that parses options and prints.

``app`` holds the typer app and its commands, ``console`` the terminal-safe
consoles and the tables that fit 80 columns, ``staffing`` the tables of
``chartsim staff``, ``shell`` the consoles and the one-line error exit every
command shares; ``fit``, ``serve`` and ``scenarios`` are those commands.
"""
