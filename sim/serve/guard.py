"""What keeps the page safe on a manager's desktop: it has no login, so other web pages must not drive it.

- **Host allow-list** (DNS rebinding): only the names the server was started
  for are served — 127.0.0.1, localhost, [::1] and ``--host`` — with
  Starlette's ``TrustedHostMiddleware``, as Jupyter and Vite do.
- **Same origin** (cross-site request forgery): a request that changes
  anything (every method but GET, HEAD, OPTIONS) is refused with 403 before
  it is read when its ``Origin`` (or, lacking one, its ``Referer``) is not
  the page's own; ``Origin: null`` is never the page's own.
- **A per-session token**: the page sets a random token (``secrets``) in an
  HttpOnly, SameSite=Strict cookie and writes it into its forms; a POST
  must carry the same token, one this server issued, in its form or its
  ``X-CSRF-Token`` header (double submit, checked by ``secrets.compare_digest``).
- **Headers on every answer**: nosniff, a self-only Content-Security-Policy
  with ``frame-ancestors 'none'``, ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import JSONResponse

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "X-CSRF-Token"
MAX_SESSIONS = 1000  # tokens remembered; the oldest is forgotten first (its page is asked to reload)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CROSS_SITE = ("refused: this request came from another web page, not from this page (its origin is not this "
              "server's); open the page itself and try again")
STALE = "refused: the page is out of date (its form token is missing or expired); reload the page and try again"


def allowed_hosts(host: str | None = None) -> list[str]:
    """The Host names served: the loopback names and the ``--host`` address (an IPv6 one in brackets)."""
    names = list(LOCAL_HOSTS)
    if host:
        h = host.strip().lower()
        if ":" in h and not h.startswith("["):
            h = f"[{h}]"
        if h and h not in names:
            names.append(h)
    return names


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the default port filled in; None for ``null`` or anything unreadable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def same_origin(request: Request) -> bool:
    """Whether a request comes from the page itself: its Origin, else its Referer, is this server's origin.

    A request with neither (not from a browser page: a script on this
    machine) passes here and still needs the session token.
    """
    own = _origin(f"{request.url.scheme}://{request.headers.get('host', '')}")
    origin = request.headers.get("origin")
    if origin is not None:
        return own is not None and _origin(origin) == own
    referer = request.headers.get("referer")
    if referer is not None:
        return own is not None and _origin(referer) == own
    return True


class Tokens:
    """The session tokens this server issued, newest last."""

    def __init__(self) -> None:
        self._issued: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def cookie(request: Request) -> str:
        return f"chartsim_session_{request.url.port or 80}"  # cookies are shared between ports; this one is not

    def session(self, request: Request) -> str:
        """The token of this browser's session: the cookie's if this server issued it, else a new one."""
        token = request.cookies.get(self.cookie(request), "")
        with self._lock:
            if token in self._issued:
                self._issued.move_to_end(token)
                return token
            token = secrets.token_urlsafe(32)
            self._issued[token] = None
            while len(self._issued) > MAX_SESSIONS:
                self._issued.popitem(last=False)
        return token

    def set_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(self.cookie(request), token, httponly=True, samesite="strict", path="/")

    def valid(self, request: Request, form: Mapping[str, Any] | None = None) -> bool:
        """Whether a POST carries this session's token (form field or header) and the server issued it."""
        cookie = request.cookies.get(self.cookie(request), "")
        sent = request.headers.get(TOKEN_HEADER) or (str(form.get(TOKEN_FIELD, "")) if form is not None else "")
        if not cookie or not sent or not secrets.compare_digest(cookie.encode(), sent.encode()):
            return False
        with self._lock:
            return cookie in self._issued


def refused(message: str, field: str = "form") -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=403)


async def guard(request: Request, call_next: Any) -> Response:
    """Middleware: cross-site state changes refused before they are read; the headers on every answer."""
    if request.method not in SAFE_METHODS and not same_origin(request):
        response: Response = refused(CROSS_SITE)
    else:
        response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
