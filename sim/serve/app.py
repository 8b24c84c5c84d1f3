"""The what-if page's routes: server-rendered pages, JSON for progress, files to download.

``create_app`` builds a FastAPI application around a :class:`Catalog` of
scenarios and a :class:`Jobs` pool. Every answer about a run is keyed by the
run's id, so two tabs never mix their results; every refusal is the loader's
one-line error text, shown beside the field it concerns. Only the page itself
may change anything, and only under the names it was started for
(:mod:`sim.serve.guard`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sim.runs.registry import lookup, scenario_metrics
from sim.scenario.config import Scenario
from sim.scenario.errors import ScenarioError
from sim.serve.catalog import Catalog, default_folders
from sim.serve.controls import changed_scenario, changes, controls, describe, form_number, in_words
from sim.serve.experiments import WhatIf, check_coders, plan_levers, read_plan, run_plan, run_staffing, run_what_if
from sim.serve.guard import STALE, TOKEN_FIELD, Tokens, allowed_hosts, guard, refused
from sim.serve.jobs import Job, Jobs
from sim.serve.views import meaning, page_words, unit_words

HERE = Path(__file__).parent
DEFAULT_REPS = 20  # replications per run: an answer in seconds, intervals still honest
MAX_REPS = 1000
STAFF_REPS = 10
PLAN_REPS = 10  # screening replications per plan (chartsim plan's --reps default, a multiple of 10)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def _int(form: Mapping[str, Any], key: str, default: int, low: int, high: int, label: str) -> int:
    raw = str(form.get(key, "") or "").strip()  # parsed as an int, never through float: a seed keeps every digit
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ScenarioError(f"{label}: expected a whole number (got {raw!r})") from None
    if not low <= value <= high:
        raise ScenarioError(f"{label}: must be between {low} and {high} (got {value})")
    return value


async def _fields(request: Request) -> Mapping[str, Any]:
    """The form's fields by name as the page wrote them.

    A browser's multipart body writes a ``"`` in a field name as ``%22`` (and
    CR, LF as ``%0D``, ``%0A``): decoded here, so a team called ``night "B"``
    keeps its fields. The page itself posts urlencoded forms, which need no such step.
    """
    form = await request.form()
    if not request.headers.get("content-type", "").startswith("multipart/"):
        return form
    names = {"%22": '"', "%0D": "\r", "%0A": "\n"}
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        for code, char in names.items():
            key = key.replace(code, char)
        out[key] = value
    return out


def _yaml(scenario: Scenario) -> str:
    """The changed scenario as a file the loader reads back (defaults filled in, no what-ifs).

    A starting state's rows are written in it; without one its settings are left out, as in a run folder.
    """
    from sim.scenario.state import unused_start_settings

    data = scenario.model_dump(mode="json", exclude={"variants": True, "sweeps": True,
                                                     **(unused_start_settings(scenario) or {})})
    head = "# chartsim scenario, changed on the what-if page (chartsim serve)\n"
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def create_app(folders: list[Path] | None = None, workers: int = 2, work_dir: Path | None = None,
               host: str | None = None, processes: int = 1) -> FastAPI:
    """The page's application; ``folders`` hold the bundled and fitted scenarios offered.

    Only requests for the loopback names and ``host`` (the address it listens on) are served.
    ``workers`` runs go at once (more wait in a queue); their replications are simulated by
    ``processes`` worker processes they share (one: in the server's own threads).
    """
    own = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="chartsim-serve-")) if own else work_dir
    assert root is not None
    catalog = Catalog(folders if folders is not None else default_folders(), root / "uploads")
    jobs = Jobs(workers, processes)
    env = _environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        jobs.shutdown()
        if own:
            shutil.rmtree(root, ignore_errors=True)

    app = FastAPI(title="chartsim what-if", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    tokens = Tokens()
    app.state.catalog, app.state.jobs, app.state.tokens = catalog, jobs, tokens
    app.middleware("http")(guard)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def refuse(message: str, field: str = "form", status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message, "field": field}, status_code=status)

    def picked(form: Mapping[str, Any]) -> tuple[str, Scenario, dict[str, Any], Scenario]:
        """The scenario picked, the form's overrides and the changed scenario (refused now, not in the run)."""
        key = str(form.get("scenario", ""))
        scenario = catalog.load(key)
        overrides = changes(scenario, form)
        return key, scenario, overrides, changed_scenario(scenario, overrides)

    def job_or_404(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no run {job_id!r} (finished runs are kept for a while, then forgotten)")
        return job

    def what_if(job_id: str) -> WhatIf:
        job = job_or_404(job_id)
        if job.kind != "run" or job.status != "done":
            raise HTTPException(409, f"run {job_id} has no results ({job.status})")
        return job.result

    def stale(request: Request, form: Mapping[str, Any] | None = None, field: str = "form") -> JSONResponse | None:
        """The 403 answer when a POST lacks this session's token; None when it carries it."""
        return None if tokens.valid(request, form) else refused(STALE, field)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, scenario: str | None = None) -> HTMLResponse:
        entries = catalog.entries()
        key = scenario or next((e.id for e in entries if e.label == "baseline"), entries[0].id if entries else "")
        error, config, fields = "", None, []
        try:
            config = catalog.load(key)
            fields = controls(config)
        except ScenarioError as exc:
            error = str(exc)
        groups: dict[str, list] = {}
        for c in fields:
            groups.setdefault(c.group, []).append(c)
        metrics = [{"name": m.name, "meaning": meaning(m.name), "unit": unit_words(m.name)}
                   for m in scenario_metrics(config) if m.better] if config is not None else []
        html = env.get_template("page.html.j2").render(
            entries=entries, key=key, scenario=config, groups=groups, error=error, reps=DEFAULT_REPS,
            staff_reps=STAFF_REPS, metrics=metrics, main=config.coders.count if config else 1,
            plan_reps=PLAN_REPS, levers=plan_levers(config) if config else "",
            token=(token := tokens.session(request)), token_field=TOKEN_FIELD)
        response = HTMLResponse(html)
        tokens.set_cookie(request, response, token)
        return response

    @app.post("/scenarios")
    async def upload(request: Request) -> JSONResponse:
        form = await request.form()
        if (no := stale(request, form, "upload")) is not None:
            return no
        file = form.get("file")
        if file is None or not hasattr(file, "read"):
            return refuse("upload: choose a scenario file (.yaml) first", "upload")
        data = await file.read()
        try:
            entry, scenario = catalog.upload(str(file.filename or "scenario.yaml"), data)
        except ScenarioError as exc:
            return refuse(str(exc), "upload")
        return JSONResponse({"id": entry.id, "label": entry.label, "name": scenario.name})

    @app.post("/state")
    async def start_from_state(request: Request) -> JSONResponse:
        """The picked scenario started from this morning: the open-charts and leave files, and when they were taken."""
        form = await request.form()
        if (no := stale(request, form, "state")) is not None:
            return no
        files = {}
        for name in ("open_charts", "leave"):
            file = form.get(name)
            data = await file.read() if file is not None and hasattr(file, "read") else b""
            files[name] = data or None
        try:
            entry, scenario = catalog.start_from(str(form.get("scenario", "")), str(form.get("as_of", "") or ""),
                                                 files["open_charts"], files["leave"],
                                                 str(form.get("columns", "") or ""))
        except ScenarioError as exc:
            return refuse(str(exc), "state")
        return JSONResponse({"id": entry.id, "label": entry.label, "name": scenario.name})

    @app.post("/runs")
    async def start_run(request: Request) -> JSONResponse:
        form = await _fields(request)
        if (no := stale(request, form)) is not None:
            return no
        try:
            key, scenario, overrides, changed = picked(form)
            reps = _int(form, "reps", DEFAULT_REPS, 2, MAX_REPS, "Replications")
            seed = _int(form, "seed", 0, 0, 2**63 - 1, "Seed")
        except ScenarioError as exc:
            return refuse(str(exc))
        title = f"{scenario.name}: " + ("; ".join(in_words(scenario, changed) or describe(overrides)) or "no change")
        folder = root / "runs"
        job = jobs.submit("run", title, lambda job: run_what_if(job, scenario, overrides, reps, seed,
                                                                folder / job.id))
        return JSONResponse({"id": job.id, "scenario": key})

    @app.post("/staff")
    async def start_staff(request: Request) -> JSONResponse:
        form = await _fields(request)
        if (no := stale(request, form, "staff")) is not None:
            return no
        try:
            key, scenario, _, changed = picked(form)
            target, confidence = _target(form)
            reps = _int(form, "staff_reps", STAFF_REPS, 2, MAX_REPS, "Replications per team size")
            seed = _int(form, "seed", 0, 0, 2**63 - 1, "Seed")
            from sim.analysis.targets import known_metrics, parse_target

            parse_target(target, known_metrics(changed))
            coders = str(form.get("coders_range", "") or f"1..{max(2, 3 * changed.coders.count)}")
            check_coders(changed, coders)  # refused now, with the search's own line, not in the run
        except ScenarioError as exc:
            return refuse(page_words(str(exc)), "staff")
        job = jobs.submit("staff", f"{scenario.name}: staffing for {target}",
                          lambda job: run_staffing(job, changed, target, coders, confidence, reps, seed))
        return JSONResponse({"id": job.id, "scenario": key})

    @app.post("/plan")
    async def start_plan(request: Request) -> JSONResponse:
        from sim.scenario.levers import LeverError

        form = await _fields(request)
        if (no := stale(request, form, "plan")) is not None:
            return no
        try:
            key, scenario, _, changed = picked(form)
            target, confidence = _target(form)
            reps = _int(form, "plan_reps", PLAN_REPS, 10, MAX_REPS, "Replications per plan")
            if reps % 10:
                raise ScenarioError(f"Replications per plan: a multiple of 10 (got {reps})")
            seed = _int(form, "seed", 0, 0, 2**63 - 1, "Seed")
            levers = str(form.get("levers", ""))
            read_plan(changed, target, levers)  # refused now, with the CLI's one line, not in the run
        except (ScenarioError, LeverError) as exc:
            return refuse(page_words(str(exc)), "plan")
        job = jobs.submit("plan", f"{scenario.name}: cheapest plan for {target}",
                          lambda job: run_plan(job, changed, target, levers, confidence, reps, seed))
        return JSONResponse({"id": job.id, "scenario": key})

    @app.get("/runs/{job_id}")
    def state(job_id: str) -> JSONResponse:
        return JSONResponse(job_or_404(job_id).state())

    @app.post("/runs/{job_id}/cancel")
    def cancel(request: Request, job_id: str) -> JSONResponse:
        if (no := stale(request)) is not None:
            return no
        job_or_404(job_id)
        return JSONResponse(jobs.cancel(job_id).state())  # type: ignore[union-attr]

    @app.get("/runs/{job_id}/results", response_class=HTMLResponse)
    def results(job_id: str) -> HTMLResponse:
        job = job_or_404(job_id)
        if job.status != "done":
            raise HTTPException(409, f"run {job_id} has no results ({job.status})")
        if "html" not in job.extras:
            job.extras["html"] = _render_results(env, job)
        return HTMLResponse(job.extras["html"])

    @app.get("/runs/{job_id}/scenario.yaml")
    def run_yaml(job_id: str) -> Response:
        return _attachment(_yaml(what_if(job_id).changed), "what-if.yaml", "application/yaml")

    @app.get("/runs/{job_id}/run.zip")
    def run_zip(job_id: str) -> Response:
        return _attachment(what_if(job_id).zipped(), f"run-{job_id}.zip", "application/zip")

    @app.get("/runs/{job_id}/report.html")
    def run_report(job_id: str) -> Response:
        html = (what_if(job_id).run_folder() / "report.html").read_bytes()
        return _attachment(html, f"report-{job_id}.html", "text/html")

    @app.post("/scenario.yaml")
    async def changed_yaml(request: Request) -> Response:
        form = await _fields(request)
        if not tokens.valid(request, form):
            return Response(f"error: {STALE}\n", status_code=403, media_type="text/plain")
        try:
            changed = picked(form)[3]
        except ScenarioError as exc:
            return Response(f"error: {exc}\n", status_code=400, media_type="text/plain")
        return _attachment(_yaml(changed), "what-if.yaml", "application/yaml")

    return app


def _target(form: Mapping[str, Any]) -> tuple[str, float]:
    """The target ('METRIC OP VALUE', a share entered in %) and the confidence (0–1) of the staffing and plan forms."""
    metric = str(form.get("target_metric", ""))
    value = str(form.get("target_value", "")).strip()
    if lookup(metric).unit == "share":  # a share is entered in %, as the page shows it
        percent = form_number(form, "target_value", "Threshold", "%")
        value = "" if percent is None else repr(percent / 100)
    return f"{metric} {form.get('target_op', '<=')} {value}", _confidence(form)


def _confidence(form: Mapping[str, Any]) -> float:
    """The decision's confidence c (0–1) from the field in %: above 50 %, or the interval shown (2c − 1) is none."""
    percent = _number(form, "confidence", 90.0, "Confidence")
    if 0 < percent <= 1:  # a share written as in chartsim staff --confidence 0.9
        raise ScenarioError(f"Confidence: a percentage — {percent:g} means {percent:g} %; did you mean "
                            f"{percent * 100:g}?")
    if not 50 < percent < 100:
        raise ScenarioError(f"Confidence: must be above 50 % and below 100 %, as the interval shown is the two-sided "
                            f"2c − 1 one (got {percent:g} %)")
    return percent / 100


def _number(form: Mapping[str, Any], key: str, default: float, label: str) -> float:
    value = form_number(form, key, label)
    return default if value is None else value


def _attachment(body: str | bytes, name: str, media: str) -> Response:
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _render_results(env: Environment, job: Job) -> str:
    """The results fragment of a finished run, staffing search or plan search."""
    from sim.serve.views import answers, figures, plan_view, sentences, staffing_view, table

    if job.kind == "staff":
        return env.get_template("staffing.html.j2").render(job=job, s=staffing_view(job.result))
    if job.kind == "plan":
        return env.get_template("plan.html.j2").render(job=job, p=plan_view(job.result))
    w: WhatIf = job.result
    r = w.results
    return env.get_template("results.html.j2").render(
        job=job, w=w, reps=r.reps, seed=r.seed, warmup=r.warmup, sentences=sentences(r), rows=table(r),
        figures=figures(r), changes=w.changes, answers=answers(r))
