"""What a run from the page does, through the same Python API as the CLI.

A what-if run is the unchanged scenario with one variant, ``what-if``, whose
``set:`` holds the page's overrides: ``sim.run`` simulates both with the same
seed (common random numbers) and compares them by paired-t, exactly as
``chartsim run`` compares a scenario's variants. A staffing question is
``sim.analysis.staffing.search`` on the changed scenario, as ``chartsim staff``;
a cheapest-plan question is ``sim.analysis.plan.find_plan``, as ``chartsim plan``.
The run folder and the HTML report are written only when downloaded.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.scenario.config import Scenario
from sim.scenario.whatifs import Variant
from sim.serve.controls import WHAT_IF, changed_scenario, describe, in_words
from sim.serve.jobs import Job

KEEP_CHARTS_ROWS = 400_000  # charts.csv and activities.csv written up to this many expected chart rows


@dataclass
class WhatIf:
    """A finished what-if run: both scenarios and the results that hold them."""

    base: Scenario  # as picked, without its own variants
    changed: Scenario
    overrides: dict[str, Any]
    results: Any  # sim.runs.runner.Results: variants 'base' and 'what-if'
    folder: Path  # where the run folder and report are written when asked for
    pool: Executor | None = field(default=None, repr=False)  # the server's worker processes, if any: report there
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def changes(self) -> list[str]:
        """The changes in a manager's words (the fields as the page showed them)."""
        return in_words(self.base, self.changed) or describe(self.overrides)

    def run_folder(self) -> Path:
        """The run folder the run wrote (as ``chartsim run --out``), with its report.html made on first use.

        The report is drawn by one of the server's worker processes when it
        has them, so its seconds of drawing do not hold the server's own
        threads; it is the same report either way.
        """
        from sim.report import build_report

        out = self.folder / "run"
        with self._lock:
            if not (out / "report.html").exists():
                try:
                    drawn = self.pool.submit(build_report, out, True) if self.pool is not None else None
                except RuntimeError:  # those workers were shut down, or broken by one that died: drawn here
                    drawn = None
                if drawn is not None:
                    drawn.result()
                else:
                    build_report(out, excel=True)
        return out

    def zipped(self) -> bytes:
        """The run folder as a zip file."""
        out = self.run_folder()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, Path(out.name) / path.relative_to(out))
        return buffer.getvalue()


def what_if_scenario(base: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The unchanged scenario carrying the page's changes as its one variant."""
    plain = base.model_copy(update={"variants": {}, "sweeps": {}})
    text = "; ".join(describe(overrides)) or "no change"
    return plain.model_copy(update={"variants": {WHAT_IF: Variant(description=f"changed on the page: {text}"[:10_000],
                                                                   set=overrides)}})


def run_what_if(job: Job, base: Scenario, overrides: dict[str, Any], reps: int, seed: int, folder: Path) -> WhatIf:
    """Simulate the scenario and its changed copy with common random numbers into ``folder/run``.

    The run folder is written as ``chartsim run`` writes it (:func:`sim.runs.folder.run_to_folder`): the zip and
    the report offered on the page are that folder. Progress goes to ``job``.
    """
    from sim.runs.folder import run_to_folder

    changed = changed_scenario(base, overrides)  # a refusal is the loader's one line, before anything runs
    scenario = what_if_scenario(base, overrides)
    rows = (sum(base.expected_charts().values()) + sum(changed.expected_charts().values())) * reps
    job.step(0, reps * 2, "simulating")
    folder.mkdir(parents=True, exist_ok=True)
    results = run_to_folder(scenario, folder / "run", reps=reps, seed=seed, charts=rows <= KEEP_CHARTS_ROWS,
                            charts_format="csv", executor=job.executor(),
                            progress=lambda done, total: job.step(done, total, "simulating"))
    if results.coder_days is None:  # streamed to coder_days.csv task by task: the page's figure reads it as the report
        from sim.report.load import load_run

        results.coder_days = load_run(folder / "run").coder_days
    job.step(note="drawing the figures")
    return WhatIf(base=scenario.model_copy(update={"variants": {}}), changed=changed, overrides=overrides,
                  results=results, folder=folder, pool=job.pool)


def run_staffing(job: Job, scenario: Scenario, target: str, coders: str, confidence: float, reps: int,
                 seed: int) -> Any:
    """``chartsim staff`` on the (changed) scenario: the smallest main team meeting the target."""
    from sim.analysis.staffing import search
    from sim.analysis.targets import known_metrics, parse_coders, parse_target

    with _in_page_words():
        goal = parse_target(target, known_metrics(scenario))
        span = parse_coders(coders)
    tried: list[int] = []

    def progress(n: int, point: Any) -> None:
        tried.append(n)
        job.step(len(tried), 0, f"{len(tried)} team sizes simulated (last: {n} main-team coders)")

    job.step(0, 0, "simulating team sizes")
    # One count a step (search's default, as chartsim staff): the counts tried, and the curve shown, are the
    # same whatever the server's worker processes, which share each count's replications.
    with _in_page_words():
        return search(scenario, goal, span, confidence=confidence, reps=reps, seed=seed, executor=job.executor(),
                      progress=progress)


@contextmanager
def _in_page_words() -> Iterator[None]:
    """A search's refusal said with the page's field names (``Main team from..to``, not ``--coders``)."""
    from sim.scenario.errors import ScenarioError
    from sim.scenario.levers import LeverError
    from sim.serve.views import page_words

    try:
        yield
    except ScenarioError as exc:
        raise ScenarioError(page_words(str(exc))) from exc
    except LeverError as exc:
        raise LeverError(page_words(str(exc))) from exc


def check_coders(scenario: Scenario, coders: str) -> tuple[int, int]:
    """The main team's range, refused as ``chartsim staff`` refuses it before simulating (an impossible end)."""
    from sim.analysis.targets import parse_coders, with_coders

    lo, hi = parse_coders(coders)
    base = scenario.model_copy(update={"variants": {}, "sweeps": {}})
    with_coders(base, lo), with_coders(base, hi)
    return lo, hi


def plan_levers(scenario: Scenario) -> str:
    """The scenario's ``levers:`` section as the page's lines, one ``PATH=VALUES`` a line (as ``--lever``)."""
    return "\n".join(f"{path}={spec}" if isinstance(spec, str) else f"{path}=[{', '.join(map(str, spec))}]"
                     for path, spec in (scenario.levers or {}).items())


def read_plan(scenario: Scenario, target: str, levers: str) -> tuple[Any, list[Any]]:
    """The page's target and lever lines, read as ``chartsim plan`` reads them (ScenarioError or LeverError)."""
    from sim.analysis.plan import check_paths, plan_base
    from sim.analysis.targets import known_metrics, parse_target
    from sim.scenario.levers import levers_of

    base = plan_base(scenario)
    lines = [line.strip() for line in levers.splitlines() if line.strip()]
    goal, chosen = parse_target(target, known_metrics(base)), levers_of({}, lines)
    check_paths(base, chosen)  # a setting the scenario does not have is refused now, as chartsim plan refuses it
    return goal, chosen


def run_plan(job: Job, scenario: Scenario, target: str, levers: str, confidence: float, reps: int, seed: int) -> Any:
    """``chartsim plan`` on the (changed) scenario: the cheapest levers meeting the target (minimising total_cost)."""
    from sim.analysis.plan import find_plan

    with _in_page_words():
        goal, chosen = read_plan(scenario, target, levers)
    job.step(0, 0, "screening plans")
    with _in_page_words():
        return find_plan(scenario, chosen, [goal], confidence=confidence, reps=reps, seed=seed,
                         executor=job.executor(),
                         progress=lambda stage, done, total: job.step(0, 0, f"{stage}: {done} of {total} tasks"
                                                                      if total else stage))
