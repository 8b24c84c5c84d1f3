"""The fit report: one self-contained HTML page (jinja2, plots as base64 PNGs).

It shows what the scenario rests on: the log and what was set aside, every
candidate distribution with its AIC and KS statistic, a QQ plot of each
chart type's coding times against the chosen family, query rates, volumes,
levels and the working day, and the back-test table.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment

from sim.fit.backtest import Backtest
from sim.fit.department import DepartmentFit
from sim.fit.distributions import Choice
from sim.fit.log import MAX_SESSION_HOURS

QQ_POINTS = 400

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chartsim fit: {{ log.path.name }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 90%; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: 90%; }
.plots img { width: 32%; min-width: 18em; }
</style></head><body>
<h1>chartsim fit: {{ log.path.name }}</h1>
<p>{{ n_sessions }} sessions, {{ n_charts }} charts, {{ log.date_range }} ({{ log.n_days }} days).
Timestamps: {{ log.zone }}. Sessions over {{ max_hours }} hours left out on purpose: <b>{{ log.long_sessions }}</b>.
Scenario written to <code>{{ scenario }}</code>.</p>

<h2>Back-test</h2>
{% if backtest %}<p class="note">The fitted scenario, {{ backtest.reps }} replications (seed {{ backtest.seed }}) over
the log's {{ log.n_days }} days, against the log. Intervals: 95 % Student t — over replications for the model,
over weekly means for the log.</p>
{{ backtest_table }}{% else %}<p class="note">Not run (--reps 0).</p>{% endif %}

<h2>Coding times</h2>
<p class="note">First reviews without a query, in minutes at the reference level's speed. Candidates fitted by maximum
likelihood (location 0; triangular on the sample's range); the lowest AIC among the parametric ones is chosen.</p>
<div class="plots">{% for img in qq %}<img alt="QQ plot" src="data:image/png;base64,{{ img }}">{% endfor %}</div>
{% for kind, choice in coding %}<h3>{{ kind }} (n={{ choice.n }})</h3>
<p>Scenario: <code>{{ choice.dist_text }}</code>{{ choice.note }}</p>{{ choice.table }}{% endfor %}

<h2>Completions after a query</h2>
{% for kind, n, choice in completion %}<h3>{{ kind }} (n={{ n }})</h3>
{% if choice %}<p>Scenario: <code>{{ choice.dist_text }}</code>{{ choice.note }}</p>{{ choice.table }}
{% else %}<p class="note">Too few to fit: the default stays (assumption).</p>{% endif %}{% endfor %}

<h2>Physician queries</h2>
{{ queries }}
<h3>Answer delay (calendar hours, n={{ answer_n }})</h3>
{% if answer %}<p>Scenario: <code>{{ answer.dist_text }}</code>{{ answer.note }}</p>{{ answer.table }}
{% else %}<p class="note">Too few answered queries: the default stays (assumption).</p>{% endif %}

<h2>Arrivals</h2>
{{ volumes }}
<p>Backlog at the start: {{ backlog }}</p>

<h2>Coders and the working day</h2>
<ul>{% for p in speed_phrases %}<li>{{ p }}</li>{% endfor %}</ul>
<p class="note">Speeds from one model of log(minutes) on chart type, level and coder: {{ speed_method }}.</p>
{{ levels }}
{{ day }}
</body></html>
"""


def write_report(path: Path, fit: DepartmentFit, scenario_path: Path, backtest: Backtest | None) -> None:
    """Write the report page."""
    log = fit.log
    page = Environment(autoescape=False).from_string(TEMPLATE).render(
        log=log, n_sessions=len(log.sessions), n_charts=len(fit.charts), max_hours=f"{MAX_SESSION_HOURS:g}", scenario=scenario_path,
        backtest=backtest, backtest_table=_html(backtest.table) if backtest else "",
        qq=[_qq(kind, fit.coding[kind]) for kind in fit.kinds],
        coding=[(k, _choice(fit.coding[k])) for k in fit.kinds],
        completion=[(k, fit.completion_n[k], _choice(fit.completion[k]) if fit.completion[k] else None)
                    for k in fit.kinds],
        queries=_html(pd.DataFrame([{"chart type": q.kind, "first reviews": q.n, "queried": q.queried,
                                     "rate": q.p, "Wilson low": q.low, "Wilson high": q.high}
                                    for q in fit.queries.values()])),
        answer=_choice(fit.answer) if fit.answer else None, answer_n=fit.answer_n,
        volumes=_html(pd.DataFrame([{"chart type": v.kind, "days": v.days, "mean per day": v.mean,
                                     **(v.factors or {}), "dispersion index": v.dispersion, "verdict": v.verdict,
                                     "written as": f"negative binomial, k={v.k[0]:.3g}" if v.k else "Poisson",
                                     "from": "discharged_at" if v.from_discharges else "charts finished"}
                                    for v in fit.volumes.values()])),
        backlog=(f"{fit.backlog.count} charts (discharged before the first day, first reviewed in the log); "
                 f"{fit.backlog.on_hold} on query hold, not modelled" if fit.backlog.inferred
                 else "unknown without discharged_at (assumption: one day's volume)"),
        levels=_html(pd.DataFrame([{"level": lf.level, "coders (names)": lf.names, "at work per day": lf.present,
                                    "count written": lf.count, "charts": lf.charts,
                                    f"speed vs {fit.speed_fit.reference}": lf.speed,
                                    f"{lf.pace.confidence * 100:g} % low": lf.pace.low,
                                    f"{lf.pace.confidence * 100:g} % high": lf.pace.high,
                                    "skills": ", ".join(lf.skills or ["all"])}
                                   for lf in fit.levels])),
        speed_phrases=[lf.pace.phrase() for lf in fit.levels], speed_method=fit.speed_fit.method,
        day=_html(pd.DataFrame([{"shift start": fit.day.start, "shift end": fit.day.end,
                                 "workdays": ", ".join(fit.day.workdays), "coder-days": fit.day.coder_days,
                                 "productive h per coder-day": fit.day.productive_minutes / 60,
                                 "non-coding min (full days)": fit.day.non_coding_minutes}])),
    )
    path.write_text(page, encoding="utf-8")


def _html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="—", border=0)


class _ChoiceView:
    def __init__(self, choice: Choice) -> None:
        self.n, self.note = choice.n, choice.note
        dist = dict(choice.dist)
        if dist.get("dist") == "empirical":
            dist["values"] = f"[{len(dist['values'])} percentiles]"
        self.dist_text = ", ".join(f"{k}: {v}" for k, v in dist.items())
        self.table = _html(choice.table())


def _choice(choice: Choice) -> _ChoiceView:
    return _ChoiceView(choice)


def _qq(kind: str, choice: Choice) -> str:
    """QQ plot of a type's coding times against the chosen family, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.sort(choice.sample)
    probs = (np.arange(QQ_POINTS) + 0.5) / QQ_POINTS
    observed = np.quantile(x, probs)
    fitted = choice.best.frozen.ppf(probs)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=90)
    ax.plot(fitted, observed, ".", ms=3)
    top = max(float(np.nanmax(fitted)), float(observed.max()))
    ax.plot([0, top], [0, top], color="grey", lw=1)
    ax.set_xlabel(f"{choice.best.family} quantile (min)")
    ax.set_ylabel("observed quantile (min)")
    ks = "" if math.isnan(choice.best.ks) else f", KS {choice.best.ks:.3f}"
    ax.set_title(f"{kind}: n={choice.n}{ks}", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")
