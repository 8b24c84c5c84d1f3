"""Calibrate a scenario to a department's own coding productivity log.

``chartsim fit LOG --out scenario.yaml`` reads one row per coding session,
checks it (log), turns sessions into charts (charts), fits coding times,
query rates, answer delays, arrivals and coders (distributions, queries,
arrivals, coders → department), writes a commented scenario (write), and
back-tests it by simulation against what the log itself shows (observed,
backtest, report). Data flows one way, each arrow one module.
"""

MIN_CHARTS = 30  # charts of one type below which its coding time is not fitted (here so the command loads no pandas)
