"""``chartsim serve``: a local what-if page for coding managers who do not write YAML.

A manager picks a scenario, changes what a manager changes (coders, volume,
queries, computer-assisted coding, overtime, breaks) with the mouse and sees
the answer with its uncertainty, against the unchanged scenario. The page is
a thin shell like the CLI: the same loader, the same override mechanism as
``variants:``, the same ``sim.run`` and ``sim.analysis.staffing.search``, the report's
own figures. Nothing here simulates.

- :mod:`sim.serve.catalog` — which scenarios are offered, uploads validated by the loader
- :mod:`sim.serve.controls` — which settings the page shows, their units and sources, form → overrides
- :mod:`sim.serve.jobs` — runs in background threads, one id each, with progress and cancel
- :mod:`sim.serve.views` — results as a director reads them: sentences, tables, figures
- :mod:`sim.serve.app` — the routes (FastAPI, server-rendered Jinja2, a little vanilla JS)
- :mod:`sim.serve.guard` — no login, so: host allow-list, same-origin POSTs with a session token, safe headers
- :mod:`sim.cli.serve` — the typer command, registered in sim/cli/app.py
"""
