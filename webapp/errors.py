"""One table: what went wrong → status, template, wording and log event, as a page or an htmx fragment.

Views catch the errors they can explain beside a field (ValidationFailed, Conflict); the rest lands here.
Every answer shows the request id as the correlation id and never a traceback. htmx answers are retargeted to
the `#flash` toast region so the form the operator was filling in stays where it is.

`webapp.cms.errors.SessionEnded` is deliberately absent: the sign-in part owns that handler (sign the
operator out, keep their draft).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound, RequestEntityTooLarge, TooManyRequests
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from webapp import htmx
from webapp.cms import errors as cms_errors
from webapp.cms.capabilities import CAPABILITIES
from webapp.logging_setup import security_event
from webapp.parsing import parse_int
from webapp.textmarks import N_


@dataclass(frozen=True)
class ErrorPage:
    status: int
    template: str
    title: str  # English key, translated when rendered
    message: str
    log_event: str | None  # upstream_error / unhandled_error, None for the console's own 4xx
    retry_after_default: int | None = None  # seconds to suggest when the upstream gave no hint


FORBIDDEN = ErrorPage(
    403, "errors/403.html", N_("Access denied"), N_("You don't have access to this page or action."), None
)
NOT_FOUND = ErrorPage(
    404,
    "errors/404.html",
    N_("Not found"),
    N_("This page or record does not exist, or it is not available to you."),
    None,
)
TOO_LARGE = ErrorPage(
    413, "errors/413.html", N_("File too large"), N_("The file is larger than the allowed size."), None
)
BUSY = ErrorPage(
    429, "errors/429.html", N_("Busy"), N_("Too many requests right now."), None, retry_after_default=5
)
CSRF_FAILED = ErrorPage(
    400,
    "errors/400.html",
    N_("Form expired"),
    N_("This form is no longer valid. Reload the page and try again."),
    None,
)
SERVER_ERROR = ErrorPage(
    500,
    "errors/500.html",
    N_("Something went wrong"),
    N_("An unexpected error occurred. Nothing was shown to anyone else."),
    "unhandled_error",
)

NOT_OFFERED = ErrorPage(
    501,
    "errors/not_offered.html",
    N_("Not offered by this CMS"),
    N_("The CMS this console is connected to does not offer this."),
    "upstream_error",
)
# First match wins, so subclasses come before their bases.
CMS_TABLE: tuple[tuple[type[cms_errors.CmsError], ErrorPage], ...] = (
    (cms_errors.CapabilityMissing, NOT_OFFERED),
    (
        cms_errors.Forbidden,
        ErrorPage(
            403,
            "errors/403.html",
            N_("Access denied"),
            N_("The CMS refused this action for your account."),
            "upstream_error",
        ),
    ),
    (
        cms_errors.NotFound,
        ErrorPage(404, "errors/404.html", N_("Not found"), NOT_FOUND.message, "upstream_error"),
    ),
    (
        cms_errors.ValidationFailed,
        ErrorPage(
            422,
            "errors/422.html",
            N_("Check the data"),
            N_("The CMS did not accept the data sent."),
            "upstream_error",
        ),
    ),
    (
        cms_errors.Conflict,
        ErrorPage(
            422,
            "errors/422.html",
            N_("Check the data"),
            N_("The CMS reported a conflict with existing data."),
            "upstream_error",
        ),
    ),
    (
        cms_errors.PayloadTooLarge,
        ErrorPage(413, "errors/413.html", N_("File too large"), TOO_LARGE.message, "upstream_error"),
    ),
    (
        cms_errors.RateLimited,
        ErrorPage(
            429,
            "errors/429.html",
            N_("Busy"),
            N_("The CMS is busy."),
            "upstream_error",
            retry_after_default=5,
        ),
    ),
    (
        cms_errors.UpstreamUnavailable,
        ErrorPage(
            503,
            "errors/503.html",
            N_("CMS unavailable"),
            N_("The CMS cannot be reached right now."),
            "upstream_error",
            retry_after_default=30,
        ),
    ),
    (
        cms_errors.CircuitOpen,
        ErrorPage(
            503,
            "errors/503.html",
            N_("CMS unavailable"),
            N_("The CMS has been failing; the console is pausing calls to it for a moment."),
            "upstream_error",
            retry_after_default=30,
        ),
    ),
    (
        cms_errors.UpstreamTimeout,
        ErrorPage(
            504,
            "errors/504.html",
            N_("The CMS did not answer in time"),
            N_("The CMS took too long to answer."),
            "upstream_error",
        ),
    ),
    (
        cms_errors.BadUpstreamResponse,
        ErrorPage(
            502,
            "errors/502.html",
            N_("Unexpected answer from the CMS"),
            N_("The CMS sent an answer the console cannot use."),
            "upstream_error",
        ),
    ),
    (
        cms_errors.ServerError,
        ErrorPage(
            502,
            "errors/502.html",
            N_("The CMS failed"),
            N_("The CMS reported an internal error."),
            "upstream_error",
        ),
    ),
    (
        # Any other status or code the console has no row for: a generic page that shows the CMS's code.
        cms_errors.CmsError,
        ErrorPage(
            502,
            "errors/502.html",
            N_("Unexpected answer from the CMS"),
            N_("The CMS answered in a way the console does not know."),
            "upstream_error",
        ),
    ),
)
HTTP_TABLE: tuple[tuple[type[HTTPException], ErrorPage], ...] = (
    (CSRFError, CSRF_FAILED),
    (Forbidden, FORBIDDEN),
    (NotFound, NOT_FOUND),
    (RequestEntityTooLarge, TOO_LARGE),
    (TooManyRequests, BUSY),
)
OUTCOME_UNKNOWN = "Outcome unknown — check the list before retrying."


def page_for(exc: BaseException) -> ErrorPage:
    """The table row for an exception (the last-resort 500 when nothing matches)."""
    table: tuple[tuple[type[BaseException], ErrorPage], ...] = (*CMS_TABLE, *HTTP_TABLE)
    for cls, page in table:
        if isinstance(exc, cls):
            return page
    if isinstance(exc, HTTPException) and exc.code:
        return ErrorPage(
            exc.code, "errors/generic.html", exc.name, N_("The request could not be completed."), None
        )
    return SERVER_ERROR


def _retry_after(exc: BaseException, page: ErrorPage) -> int | None:
    hint = exc.retry_after if isinstance(exc, cms_errors.CmsError) else None
    if isinstance(exc, TooManyRequests) and exc.response is not None:  # the console's own limit said when
        header = exc.response.headers.get("Retry-After", "")
        hint = parse_int(header, minimum=0, maximum=86_400)
    if hint is not None:
        return max(1, math.ceil(hint))
    return page.retry_after_default


def _minimal_page(status: int, request_id: str) -> Response:
    """When even the error template fails: plain HTML, still no detail."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body>'
        f"<h1>Error {status}</h1><p>Reference: {request_id}</p></body></html>"
    )
    return Response(body, status=status, mimetype="text/html")


def render_error(exc: BaseException, page: ErrorPage, **extra: Any) -> Response:
    request_id = str(g.get("request_id", ""))
    retry_after = _retry_after(exc, page) if page.status in {429, 503} else None
    context: dict[str, Any] = {
        "error": page,
        "request_id": request_id,
        "retry_after": retry_after,
        "upstream_code": exc.code if isinstance(exc, cms_errors.CmsError) else None,
        "upstream_message": exc.message if isinstance(exc, cms_errors.ApiError) else None,
        "upstream_status": exc.status if isinstance(exc, cms_errors.CmsError) else None,
        "upstream_items": exc.errors if isinstance(exc, cms_errors.ApiError) else [],
        "outcome_unknown": isinstance(exc, cms_errors.UpstreamTimeout)
        and (exc.outcome_unknown or request.method != "GET"),
        **extra,
    }
    try:
        if htmx.is_htmx():
            response = htmx.retarget_to_flash(
                Response(
                    htmx.render_fragment(page.template, **context), status=page.status, mimetype="text/html"
                )
            )
        else:
            response = Response(
                render_template(page.template, **context), status=page.status, mimetype="text/html"
            )
    except Exception:  # the error page itself failed: answer anyway, log once
        import logging

        logging.getLogger("webapp.errors").exception(
            "error_page_failed", extra={"event": "error_page_failed"}
        )
        response = _minimal_page(page.status, request_id)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_cms_error(exc: cms_errors.CmsError) -> Response:
    page = page_for(exc)
    fields = {
        "error_class": type(exc).__name__,
        "upstream_status": exc.status,
        "upstream_code": exc.code,
        "method": request.method,
        "path": request.path,
        "status": page.status,
    }
    if isinstance(exc, cms_errors.Forbidden):
        security_event("authz_denied", reason="upstream_refused", **fields)
    security_event(page.log_event or "upstream_error", **fields)
    if isinstance(exc, cms_errors.CapabilityMissing):
        return render_error(
            exc,
            page,
            capability=exc.capability,
            capability_text=CAPABILITIES.get(exc.capability, exc.capability),
            configured_off=exc.configured_off,
        )
    return render_error(exc, page)


def _sign_in_url() -> str | None:
    try:
        return url_for("auth.login", next=request.path if request.method == "GET" else None)
    except BuildError:
        return None


def handle_csrf_error(exc: CSRFError) -> BaseResponse:
    security_event("csrf_failure", reason=exc.description, method=request.method, path=request.path)
    login_url = None if current_user.is_authenticated else _sign_in_url()
    if login_url is not None:  # no session to protect: the form simply expired, start again at sign-in
        return htmx.hx_redirect(login_url, status=401) if htmx.is_htmx() else htmx.redirect(login_url)
    return render_error(exc, CSRF_FAILED)


def handle_http_exception(exc: HTTPException) -> BaseResponse | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc
    if isinstance(exc, CSRFError):
        return handle_csrf_error(exc)
    response = render_error(exc, page_for(exc))
    if isinstance(exc, TooManyRequests) and exc.response is not None:
        for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            if name in exc.response.headers:
                response.headers[name] = exc.response.headers[name]
    return response


def handle_unexpected(exc: Exception) -> Response:
    """Last resort: log the exception once (scrubbed by the log filter), show only the correlation id."""
    import logging

    logging.getLogger("webapp.errors").error(
        "unhandled_error",
        exc_info=exc,
        extra={"event": "unhandled_error", "method": request.method, "path": request.path},
    )
    return render_error(exc, SERVER_ERROR)


def init_app(app: Flask) -> None:
    app.register_error_handler(cms_errors.CmsError, handle_cms_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
