"""Loaded into the what-if page's fork server (sim.runs.executor.threaded_pool), where it makes it die with the server.

The fork server starts the page's worker processes, and each of them holds it
open; the workers die with the fork server (``die_with_parent``), so the fork
server dying with the server ends them all, even when the server is killed
outright. Importing this module has that one effect on the importing process:
nothing else imports it.
"""

from sim.runs.executor import die_with_parent

die_with_parent()
