"""The only module that knows htmx's HX-* headers: page or fragment, redirects, error retargeting, Vary.

A page and its fragment come from the same template: the full page for a normal request, the template's `{%
block content %}` alone for an htmx request. Flashed messages ride along as an out-of-band swap into
`#flash`.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, get_flashed_messages, render_template, request
from flask import redirect as flask_redirect
from flask.signals import before_render_template, template_rendered
from werkzeug.wrappers import Response as BaseResponse

FLASH_TARGET = "#flash"
# Read by htmx from <meta name="htmx-config">. Locked down: same-origin only, no eval, no inline scripts, no
# page snapshots in localStorage (PII), no injected indicator CSS (CSP), parameters of non-GET requests in the
# body. Error answers (4xx/5xx) are swapped too: the server always retargets them to #flash.
HTMX_CONFIG: dict[str, Any] = {
    "selfRequestsOnly": True,
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "includeIndicatorStyles": False,
    # Not "style": htmx would copy an element's style attribute across a swap, which the CSP (no inline
    # styles) refuses; our elements carry classes only.
    "attributesToSettle": ["class", "width", "height"],
    "methodsThatUseUrlParams": ["get"],
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "[45]..", "swap": True, "error": True},
        {"code": "...", "swap": False},
    ],
}


def is_htmx() -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Boosted") != "true"
    )


def render_fragment(template_name: str, **context: Any) -> str:
    """The page's `{% block content %}` alone: base.html renders only that block when `_partial` is set, which
    works through every level of `{% extends %}` (a child's own `Template.blocks` would miss inherited
    ones)."""
    return render_template(template_name, _partial=True, **context)


def flash_oob() -> str:
    """Pending flashed messages as an out-of-band swap into the toast region ('' when there are none)."""
    if not get_flashed_messages():
        return ""
    return render_template("_macros/flash_oob.html")


def render(template_name: str, status: int = 200, **context: Any) -> Response:
    """The full page, or for htmx its content block plus any flashed messages."""
    if is_htmx():
        body = render_fragment(template_name, **context) + flash_oob()
    else:
        body = render_template(template_name, **context)
    return Response(body, status=status, mimetype="text/html")


def render_private(template_name: str, status: int = 200, **context: Any) -> Response:
    """`render` for a page of operators' or people's data: no browser or proxy keeps a copy."""
    response = render(template_name, status, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


# Every form the server refuses (invalid input, a CMS refusal) answers 422 with the form and its errors; the
# `responseHandling` above makes htmx swap it like a 200, so one status serves plain posts and htmx alike.
FORM_INVALID = 422


def redirect(url: str, code: int = 303) -> BaseResponse:
    """303 after a POST so the browser follows with GET (Post/Redirect/Get)."""
    return flask_redirect(url, code=code)


def hx_redirect(url: str, status: int = 200) -> Response:
    """Tell htmx to load `url` as a full page (used for sign-in redirects and after successful forms)."""
    return Response("", status=status, headers={"HX-Redirect": url})


def redirect_after_post(url: str) -> BaseResponse:
    """The answer to a form that worked: htmx loads `url` as a full page, a plain post follows a 303."""
    return hx_redirect(url) if is_htmx() else redirect(url)


def retarget_to_flash(response: Response) -> Response:
    """Send an error fragment to the toast region and leave the form the operator was filling in place."""
    response.headers["HX-Retarget"] = FLASH_TARGET
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _vary_on_hx_request(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def _render_started(_app: Flask, **_extra: Any) -> None:
    g.render_started = time.perf_counter()


def _render_finished(_app: Flask, **_extra: Any) -> None:
    started = g.pop("render_started", None)
    if started is not None:
        g.render_ms = g.get("render_ms", 0.0) + (time.perf_counter() - started) * 1000


def init_app(app: Flask) -> None:
    app.jinja_env.globals["htmx_config"] = HTMX_CONFIG
    app.after_request(_vary_on_hx_request)
    # Render time for Server-Timing, whichever way a view renders.
    before_render_template.connect(_render_started, app)
    template_rendered.connect(_render_finished, app)
