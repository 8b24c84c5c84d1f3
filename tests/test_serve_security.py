"""The what-if page has no login, so no other web page and no other file may drive it.

Each hole the page had is a test against the application over HTTP
(httpx through Starlette's TestClient): an upload's ``extends:`` reaching
any file on the disk, cross-site requests (including ``Origin: null``)
starting runs and storing uploads, and foreign ``Host`` names (DNS
rebinding) being served. Refused requests leave no run and no upload behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is needed: pip install 'chartsim[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

from sim.scenario.config import load_scenario  # noqa: E402
from sim.serve.app import create_app  # noqa: E402
from tests.test_serve import CHROMIUM, _free_port, server  # noqa: E402, F401 (server: the running page)

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "http://127.0.0.1:8050"
pytestmark = pytest.mark.xdist_group("serve")


def _token(c: TestClient) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/").text)
    return found.group(1) if found else ""


@pytest.fixture
def app(tmp_path: Path):
    return create_app([ROOT / "scenarios"], workers=1, work_dir=tmp_path / "server")


@pytest.fixture
def client(app):
    """The page itself: its own origin and its session token."""
    with TestClient(app, base_url=ORIGIN) as c:
        c.headers.update({"Origin": ORIGIN, "X-CSRF-Token": _token(c)})
        yield c


def _stored(app) -> tuple[int, int, list[Path]]:
    """Runs known, scenarios offered and files in the upload folder: what a refused request must not change."""
    catalog = app.state.catalog
    uploads = sorted(catalog.upload_dir.rglob("*")) if catalog.upload_dir.exists() else []
    return len(app.state.jobs._jobs), len(catalog.entries()), uploads


# ---------------------------------------------------------------- extends: only the scenarios offered, by name


@pytest.fixture
def outside(tmp_path: Path) -> dict[str, Path]:
    """Files elsewhere on the disk: a valid scenario, and a file whose first line looks like a key."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scenario = elsewhere / "private.yaml"
    scenario.write_text((ROOT / "scenarios" / "baseline.yaml").read_text().replace("name: baseline", "name: private"))
    secret = elsewhere / "secret.conf"
    secret.write_text("api_key: hunter2-do-not-show\nother: 1\n")
    return {"scenario": scenario, "secret": secret}


def _upload(client: TestClient, text: str, name: str = "mine.yaml"):
    return client.post("/scenarios", files={"file": (name, text.encode())})


@pytest.mark.parametrize("which", ["absolute scenario", "relative scenario", "absolute secret", "relative secret",
                                   "system file", "missing file", "an upload"])
def test_an_upload_may_not_extend_a_file_the_page_does_not_offer(client, app, outside, which: str):
    """Refused in one line that names no server path and shows nothing of the file; nothing stored."""
    first = _upload(client, "name: first\nextends: baseline.yaml\n")
    assert first.status_code == 200, first.text
    upload_dir = app.state.catalog.upload_dir
    parent = {
        "absolute scenario": str(outside["scenario"]),
        "relative scenario": f"../../../elsewhere/{outside['scenario'].name}",
        "absolute secret": str(outside["secret"]),
        "relative secret": f"../../../elsewhere/{outside['secret'].name}",
        "system file": "/etc/passwd",
        "missing file": "/nonexistent/never.yaml",
        "an upload": "first.yaml",
    }[which]
    if which.startswith("relative"):  # it would resolve from the upload's own folder to the file
        assert (upload_dir / "x" / parent).resolve() == (outside["scenario"] if "scenario" in which
                                                         else outside["secret"]).resolve()
    before = _stored(app)
    answer = _upload(client, f"name: x\nextends: {parent}\n")
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert "\n" not in error and error.startswith("mine.yaml: extends: ")
    assert "offered on this page" in error and "baseline.yaml" in error
    for leak in (str(ROOT), str(outside["scenario"].parent), str(upload_dir), "/etc", "elsewhere", "hunter2",
                 "api_key", "private", "root:"):
        assert leak not in error, (leak, error)
    assert _stored(app) == before


def test_an_upload_extends_an_offered_scenario_by_its_name(client):
    """``extends: department.yaml`` (or ``department``) starts from the bundled department, as chartsim check reads it."""
    department = load_scenario(ROOT / "scenarios" / "department.yaml")
    for parent in ("department.yaml", "department"):
        answer = _upload(client, f"name: mine\nextends: {parent}\ndays: 30\n")
        assert answer.status_code == 200, answer.text
        mine = client.app.state.catalog.load(answer.json()["id"])
        assert mine.days == 30 and mine.n_coders == department.n_coders
        assert mine.chart_types == department.chart_types


def test_an_offered_scenario_that_is_broken_is_named_without_its_folder(tmp_path: Path):
    """An error inside the offered parent names it by its file name, not by where it lies on the server."""
    folder = tmp_path / "offered"
    folder.mkdir()
    (folder / "broken.yaml").write_text("name: broken\ndays: -1\n")
    with TestClient(create_app([folder], workers=1, work_dir=tmp_path / "server"), base_url=ORIGIN) as c:
        c.headers.update({"Origin": ORIGIN, "X-CSRF-Token": _token(c)})
        answer = _upload(c, "name: x\nextends: broken.yaml\n")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert str(tmp_path) not in error and error.startswith("mine.yaml")


# ---------------------------------------------------------------- cross-site requests


def _posts(client: TestClient) -> dict:
    """Each state-changing route with a form that would succeed from the page itself."""
    run = {"scenario": "bundled:baseline", "reps": "2"}
    staff = {"scenario": "bundled:baseline", "target_metric": "charts_per_coder_day", "target_op": ">=",
             "target_value": "1", "coders_range": "1..2", "staff_reps": "2"}
    return {
        "/runs": {"data": run},
        "/staff": {"data": staff},
        "/scenarios": {"files": {"file": ("mine.yaml", (ROOT / "scenarios" / "baseline.yaml").read_bytes())}},
        "/scenario.yaml": {"data": run},
    }


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:9999"},  # another server on this machine
    {"Origin": "https://127.0.0.1:8050"},
    {"Referer": "http://evil.example/page.html"},  # no Origin: the Referer decides
], ids=["evil", "null", "other-port", "other-scheme", "referer"])
def test_cross_site_posts_are_refused_and_nothing_runs_or_is_stored(client, app, headers: dict):
    token = client.headers["X-CSRF-Token"]
    before = _stored(app)
    for route, body in _posts(client).items():
        sent = {"X-CSRF-Token": token, **headers}
        if "Origin" not in headers:
            client.headers.pop("Origin", None)
        answer = client.post(route, headers=sent, **body)
        client.headers["Origin"] = ORIGIN
        assert answer.status_code == 403, (route, answer.status_code, answer.text)
        assert "another web page" in answer.json()["error"]
    assert _stored(app) == before


def test_a_post_without_the_session_token_is_refused(client, app):
    """Same origin but no token (or another one, or one this server never issued): 403, nothing run or stored."""
    before = _stored(app)
    for token in ("", "x" * 43):
        for route, body in _posts(client).items():
            client.headers["X-CSRF-Token"] = token
            answer = client.post(route, **body)
            assert answer.status_code == 403, (route, answer.text)
            assert "reload the page" in answer.text
    assert _stored(app) == before


def test_the_page_itself_may_post_and_cancel(client, app):
    """With its own origin and token (header or form field) the page runs, stores uploads and cancels."""
    token = client.headers.pop("X-CSRF-Token")
    answer = client.post("/runs", data={"scenario": "bundled:department", "reps": "200", "csrf_token": token})
    assert answer.status_code == 200, answer.text
    job = answer.json()["id"]
    assert client.post(f"/runs/{job}/cancel").status_code == 403  # no token
    assert client.post(f"/runs/{job}/cancel", headers={"X-CSRF-Token": token, "Origin": "null"}).status_code == 403
    assert client.post(f"/runs/{job}/cancel", headers={"X-CSRF-Token": token}).status_code == 200
    assert _upload(client.__class__(app, base_url=ORIGIN), "name: y\n").status_code == 403  # another browser: no cookie


def test_the_token_is_kept_in_the_pages_forms_and_an_httponly_strict_cookie(client):
    page = client.get("/")
    token = client.headers["X-CSRF-Token"]
    assert f'name="csrf_token" value="{token}"' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert token not in client.get("/static/page.js").text


# ---------------------------------------------------------------- host names (DNS rebinding)


@pytest.mark.parametrize("host,served", [
    ("evil.example", False), ("evil.example:8050", False), ("127.0.0.1.evil.example", False), ("", False),
    ("127.0.0.1:8050", True), ("localhost:8050", True), ("[::1]:8050", True), ("LOCALHOST", True),
])
def test_only_the_servers_own_host_names_are_served(client, host: str, served: bool):
    answer = client.get("/", headers={"Host": host})
    assert (answer.status_code == 200) == served, (host, answer.status_code)
    if not served:
        assert "chartsim" not in answer.text


def test_the_host_option_adds_its_name(tmp_path: Path):
    for host, header in (("coding-pc.local", "coding-pc.local:8050"), ("::1", "[::1]:8050"),
                         ("192.168.1.20", "192.168.1.20:8050")):
        with TestClient(create_app([ROOT / "scenarios"], work_dir=tmp_path / host.replace(":", "_"), host=host),
                        base_url=ORIGIN) as c:
            assert c.get("/", headers={"Host": header}).status_code == 200
            assert c.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_chartsim_serve_passes_its_host_to_the_allow_list(monkeypatch: pytest.MonkeyPatch):
    """``chartsim serve --host NAME`` serves NAME (and the loopback names), nothing else."""
    import uvicorn

    from sim.cli.serve import serve_cmd

    started: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    serve_cmd(port=8123, host="coding-pc.local", scenarios=None, workers=1)
    assert started["host"] == "coding-pc.local"
    with TestClient(started["app"], base_url="http://coding-pc.local:8123") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"Host": "localhost:8123"}).status_code == 200
        assert c.get("/", headers={"Host": "evil.example:8123"}).status_code == 400


# ---------------------------------------------------------------- headers, favicon, awkward names


def test_every_answer_carries_the_security_headers(client):
    answers = [client.get("/"), client.get("/static/page.js"), client.get("/runs/nope"),
               client.post("/runs", data={"scenario": "bundled:baseline"}, headers={"Origin": "null"})]
    for answer in answers:
        h = answer.headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert not re.search(r"https?:|\*|'unsafe-inline'|'unsafe-eval'", csp), csp


def test_the_page_has_a_favicon(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").text
    for path in ("/favicon.ico", "/static/favicon.svg"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text.lstrip().startswith("<svg")


def test_a_team_name_with_a_quote_still_changes_its_count(client):
    """A browser's multipart form writes '"' in a field name as %22; the count of team 'night "B"' still changes."""
    from sim.serve.controls import changes

    level = load_scenario(ROOT / "scenarios" / "baseline.yaml").coders.level
    scenario = f"name: quoted\nextends: baseline.yaml\ncoders:\n  teams:\n    'night \"B\"': {{count: 2, level: {level}}}\n"
    answer = _upload(client, scenario, "quoted.yaml")
    assert answer.status_code == 200, answer.text
    key = answer.json()["id"]
    field = 'coders.teams.night "B".count'
    assert changes(client.app.state.catalog.load(key), {field: "4"}) == {field: 4}
    escaped = field.replace('"', "%22")  # as Chromium and Firefox write the name in a multipart body
    for body in ({"files": {escaped: (None, "4"), "scenario": (None, key), "reps": (None, "2")}},
                 {"data": {field: "4", "scenario": key, "reps": "2"}}):
        made = client.post("/runs", **body)
        assert made.status_code == 200, made.text
        job = client.app.state.jobs.get(made.json()["id"])
        assert job.title.endswith('Coders, team night "B": 2 → 4 coders'), job.title


# ---------------------------------------------------------------- the same holes from a real browser


EVIL = """<!doctype html><title>a page the manager also has open</title>
<form id="run" method="post" action="{target}runs"><input name="scenario" value="bundled:department">
<input name="reps" value="1000"></form>
<iframe id="sandboxed" sandbox="allow-forms allow-scripts" srcdoc='<form id="f" method="post" action="{target}runs">
<input name="scenario" value="bundled:department"></form>'>
</iframe>
<script>
window.fetched = Promise.all([
  fetch("{target}runs", {{method: "POST", mode: "no-cors", body: new URLSearchParams({{scenario: "bundled:department"}})}}),
  fetch("{target}scenarios", {{method: "POST", mode: "no-cors", body: (() => {{ const d = new FormData();
    d.append("file", new Blob(["name: planted\\n"]), "planted.yaml"); return d; }})()}}),
]).then(() => "sent", (e) => String(e));
</script>"""


def test_a_hostile_page_in_chromium_can_neither_drive_nor_rebind_the_page(server: str, tmp_path: Path):  # noqa: F811
    """Another site in the same browser posts a run, an upload and a sandboxed (Origin: null) form to the page,
    and reaches it under its own name (DNS rebinding): every request is refused, nothing is uploaded."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    import functools
    import http.server
    import threading

    evil_port = _free_port()
    (tmp_path / "evil.html").write_text(EVIL.format(target=server))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", evil_port), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    answers: list[tuple[str, int, str, str]] = []
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--host-resolver-rules=MAP evil.example 127.0.0.1"]
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(server)  # the manager has the page open in this browser: its session cookie is set
                context.on("response", lambda r: answers.append(
                    (r.request.method, r.status, r.url, r.request.headers.get("origin", ""))))
                evil = context.new_page()
                evil.goto(f"http://evil.example:{evil_port}/evil.html")
                assert evil.evaluate("window.fetched") == "sent"
                sandboxed = next(f for f in evil.frames if f != evil.main_frame)  # its requests say Origin: null
                sandboxed.evaluate("document.getElementById('f').submit()")  # its 403 may not even show in a frame
                for _ in range(100):
                    if any(a[3] == "null" for a in answers):
                        break
                    evil.wait_for_timeout(100)
                with evil.expect_navigation():
                    evil.evaluate("document.getElementById('run').submit()")
                assert "another web page" in evil.inner_text("body")
                port = server.rsplit(":", 1)[1].strip("/")
                rebound = evil.goto(f"http://evil.example:{port}/")  # DNS rebinding: the page under a foreign name
                assert rebound is not None and rebound.status == 400 and "chartsim" not in evil.content()
                page.reload()
                assert page.locator("optgroup[label=uploaded]").count() == 0  # nothing was stored
            finally:
                browser.close()
    finally:
        site.shutdown()
    posts = [(status, url, origin) for method, status, url, origin in answers if method == "POST"]
    seen = {origin for _, _, origin in posts if origin}  # Playwright shows the Origin of forms (fetch sets it later)
    assert seen == {f"http://evil.example:{evil_port}", "null"}, posts
    assert len(posts) == 4 and all(status == 403 for status, _, _ in posts), posts  # run, upload, form, sandboxed
