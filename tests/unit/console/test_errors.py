"""The error table: each failure → status, template, headers and log event, as page and htmx fragment."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from werkzeug.exceptions import NotFound

from webapp.access import public
from webapp.cms import errors as cms_errors

HTMX = {"HX-Request": "true"}

CASES: list[tuple[str, Exception, int, str, str | None]] = [
    # (id, raised, status, template, log event)
    (
        "forbidden",
        cms_errors.PermissionDenied("denied", status=403),
        403,
        "errors/403.html",
        "upstream_error",
    ),
    ("not_found", cms_errors.NotFound("gone", status=404), 404, "errors/404.html", "upstream_error"),
    (
        "validation",
        cms_errors.ValidationFailed(
            "bad",
            status=400,
            errors=[cms_errors.ApiErrorItem("7000", "Check the parameters provided.", "email")],
        ),
        422,
        "errors/422.html",
        "upstream_error",
    ),
    ("conflict", cms_errors.Conflict("dup", status=409), 422, "errors/422.html", "upstream_error"),
    (
        "rate_limited",
        cms_errors.RateLimited("slow", status=429, retry_after=7.2),
        429,
        "errors/429.html",
        "upstream_error",
    ),
    ("unavailable", cms_errors.UpstreamUnavailable("down"), 503, "errors/503.html", "upstream_error"),
    ("circuit_open", cms_errors.CircuitOpen("open"), 503, "errors/503.html", "upstream_error"),
    (
        "timeout",
        cms_errors.UpstreamTimeout("slow", outcome_unknown=True),
        504,
        "errors/504.html",
        "upstream_error",
    ),
    ("bad_response", cms_errors.BadUpstreamResponse("html"), 502, "errors/502.html", "upstream_error"),
    ("server_error", cms_errors.ServerError("boom", status=500), 502, "errors/502.html", "upstream_error"),
    ("too_large", cms_errors.PayloadTooLarge("big", status=413), 413, "errors/413.html", "upstream_error"),
    (
        "capability_missing",
        cms_errors.CapabilityMissing("card-actions", status=404),
        501,
        "errors/not_offered.html",
        "upstream_error",
    ),
    (
        # A status and code nobody mapped: a generic page with the code, never a 500.
        "unknown_status",
        cms_errors.ApiError(
            "I'm a teapot", status=418, errors=[cms_errors.ApiErrorItem("8077", "I'm a teapot")]
        ),
        502,
        "errors/502.html",
        "upstream_error",
    ),
    ("werkzeug_404", NotFound(), 404, "errors/404.html", None),
    ("unexpected", RuntimeError("secret internals /srv/app.py"), 500, "errors/500.html", "unhandled_error"),
]


@pytest.fixture
def client(bare_app: Flask) -> FlaskClient:
    @bare_app.route("/_raise/<name>", methods=["GET", "POST"])
    @public
    def _raise(name: str) -> str:
        raise next(exc for case_id, exc, *_ in CASES if case_id == name)

    return bare_app.test_client()


@pytest.fixture
def rendered(bare_app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(_app: Flask, template: object, **_extra: object) -> None:
        names.append(getattr(template, "name", ""))

    with template_rendered.connected_to(record, bare_app):
        yield names


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("case_id", "raised", "status", "template", "event"), CASES, ids=[c[0] for c in CASES]
)
def test_error_table(
    client: FlaskClient,
    rendered: list[str],
    caplog: pytest.LogCaptureFixture,
    htmx: bool,
    case_id: str,
    raised: Exception,
    status: int,
    template: str,
    event: str | None,
) -> None:
    caplog.set_level(logging.INFO)
    response = client.get(f"/_raise/{case_id}", headers=HTMX if htmx else {})
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert template in rendered
    assert response.headers["X-Request-ID"] in body  # the correlation id is shown
    assert "Traceback" not in body
    assert "secret internals" not in body
    if htmx:
        assert response.headers["HX-Retarget"] == "#flash"
        assert response.headers["HX-Reswap"] == "innerHTML"
        assert "<html" not in body  # a fragment, not a page
    else:
        assert "HX-Retarget" not in response.headers
        assert body.lstrip().startswith("<!doctype html>")
    if status in {429, 503}:
        expected = "8" if case_id == "rate_limited" else "30"
        assert response.headers["Retry-After"] == expected
        assert f"{expected} s" in body
    events = [getattr(r, "event", None) for r in caplog.records]
    if event:
        assert events.count(event) == 1
    if case_id == "forbidden":
        assert "authz_denied" in events
    if case_id == "timeout":
        assert "Outcome unknown" in body


def test_validation_fallback_lists_the_upstream_items(client: FlaskClient) -> None:
    body = client.get("/_raise/validation").get_data(as_text=True)
    assert "7000" in body
    assert "email" in body
    assert "Check the parameters provided." in body


def test_a_get_timeout_is_not_called_ambiguous(bare_app: Flask) -> None:
    @bare_app.route("/_slow")
    @public
    def _slow() -> str:
        raise cms_errors.UpstreamTimeout("slow", outcome_unknown=False)

    body = bare_app.test_client().get("/_slow").get_data(as_text=True)
    assert "Outcome unknown" not in body


def test_error_pages_are_translated(client: FlaskClient) -> None:
    body = client.get("/_raise/not_found", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "No encontrado" in body
    assert '<html lang="es">' in body
