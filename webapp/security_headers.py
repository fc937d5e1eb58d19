"""Response headers on every answer (pages, fragments, errors, static): security policy, caching, request id
and, when the SERVER_TIMING setting is on, Server-Timing.

Registered as after_request, which Flask also runs for error-handler responses and the last-resort 500, so no
response leaves without them.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from functools import cache

from flask import Flask, Response, current_app, g, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
SERVER_NAME = "console"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@cache
def _upstream_timer() -> tuple[Callable[[], None], Callable[[], float]]:
    """The CMS client's per-thread upstream stopwatch, or a stand-in until that client is installed (looked up
    once: it is read twice on every answer)."""
    try:
        from webapp.cms.client import reset_upstream_timer, upstream_elapsed_ms
    except ImportError:
        return (lambda: None), (lambda: 0.0)
    return reset_upstream_timer, upstream_elapsed_ms


def start_request() -> None:
    """before_request (registered first): request id and the clocks behind Server-Timing."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.render_ms = 0.0
    reset, _ = _upstream_timer()
    reset()


def _server_timing() -> str:
    _, elapsed = _upstream_timer()
    started = g.get("request_started")
    total = (time.perf_counter() - started) * 1000 if started else 0.0
    render = float(g.get("render_ms", 0.0))
    return f"upstream;dur={elapsed():.1f}, render;dur={render:.1f}, total;dur={total:.1f}"


def own_headers(response: Response, headers: Mapping[str, str]) -> Response:
    """For the rare answer that needs a policy of its own (an evidence file our own page frames): set the
    headers here and `add_headers` leaves those names alone. The answer is expected to be stricter."""
    response.headers.update(headers)
    g.own_security_headers = frozenset(headers)
    return response


def add_headers(response: Response) -> Response:
    own = g.get("own_security_headers", frozenset())
    for name, value in STATIC_HEADERS.items():
        if name not in own:
            response.headers[name] = value
    response.headers.pop("X-Powered-By", None)
    if not request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        # Replaces the dev server's "Werkzeug/x Python/y"; gunicorn.conf.py renames gunicorn's own header.
        response.headers["Server"] = SERVER_NAME
    if request.is_secure or current_app.config.get("CONSOLE_ENV") in {"qa", "production"}:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static" and not (request.endpoint or "").endswith(".static"):
        # Pages and fragments hold operator or cardholder data: never in any cache (back-forward included).
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    response.headers["X-Request-ID"] = str(g.get("request_id") or uuid.uuid4().hex)
    if current_app.config.get("SERVER_TIMING"):
        # Off by default: upstream and render times tell an outsider what happened behind the page.
        response.headers["Server-Timing"] = _server_timing()
    return response


def init_app(app: Flask) -> None:
    # Must run before every other before_request so even the gate's refusals carry a request id.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(add_headers)
