"""The ``chartsim`` command: a shell over the Python API that parses options and prints.

``app`` holds the typer app and its commands, ``console`` the terminal
tables, ``shell`` the consoles and the one-line error exit every command
shares, ``fit`` and ``serve`` the commands of those two ways in.
"""
