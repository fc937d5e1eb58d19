"""One table maps status + envelope to the error tree; Retry-After is read in every form it can take."""

from __future__ import annotations

import email.utils

import pytest

from webapp.cms import errors
from webapp.cms.errors import error_from_response, parse_retry_after


def _env(code: str, message: str = "upstream says", field: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"code": code, "message": message}
    if field:
        item["field"] = field
    return {"success": False, "message": message, "errors": [item]}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "7000", errors.ValidationFailed),
        (422, "7000", errors.ValidationFailed),
        (401, "8000", errors.Unauthorized),  # no code is needed to tell an expired token
        (401, "8001", errors.Unauthorized),
        (401, "8002", errors.Unauthorized),
        (403, "8003", errors.Locked),
        (403, "8004", errors.Inactive),
        (403, "8005", errors.OtpRequired),
        (403, "8010", errors.PartnerForbidden),
        (403, "8011", errors.PermissionDenied),
        (403, "8019", errors.Forbidden),
        (404, "8012", errors.NotFound),
        (409, "8013", errors.Conflict),
        (413, "8016", errors.PayloadTooLarge),
        (429, "8021", errors.RateLimited),
        (500, "7003", errors.ServerError),
        (503, "8026", errors.ServerError),
        (418, "7000", errors.ApiError),
    ],
)
def test_status_and_code_pick_the_class(status: int, code: str, cls: type[errors.ApiError]) -> None:
    err = error_from_response(status, _env(code, "Verbatim message."), {})
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    assert err.message == "Verbatim message."


def test_session_ended_is_unauthorized_and_locked_is_forbidden() -> None:
    assert issubclass(errors.SessionEnded, errors.Unauthorized)
    assert issubclass(errors.Locked, errors.Forbidden)
    assert issubclass(errors.ApiError, errors.CmsError)


def test_field_items_are_kept_for_forms() -> None:
    body = {
        "success": False,
        "message": "Check the parameters provided.",
        "errors": [
            {"code": "7000", "message": "Required.", "field": "email"},
            {"code": "7000", "message": "Bad date.", "field": "dateOfBirth"},
            {"code": "7000", "message": "General."},
        ],
    }
    err = error_from_response(400, body, {})
    assert [e.field for e in err.errors] == ["email", "dateOfBirth", None]
    assert err.field_errors() == {"email": "Required.", "dateOfBirth": "Bad date."}


def test_a_non_envelope_error_body_still_maps_by_status() -> None:
    err = error_from_response(502, None, {})
    assert isinstance(err, errors.ServerError)
    assert err.errors == []
    assert "502" in err.message


def test_retry_after_travels_on_the_error() -> None:
    err = error_from_response(403, _env("8003"), {"retry-after": "120"})
    assert isinstance(err, errors.Locked)
    assert err.retry_after == 120.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("2", 2.0),
        ("3600", 3600.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("-3", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
        ("²", None),  # isdigit(), but int() raises
        ("１０", None),  # full-width: float() and int() would read 10
        ("9" * 5000, None),  # int() raises past 4,300 digits; float() is inf
        ("9" * 400, None),  # too large to be a float
    ],
)
def test_retry_after_seconds_and_garbage(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_as_http_date() -> None:
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
