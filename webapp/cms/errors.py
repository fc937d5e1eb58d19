"""One error tree for every way a CMS call can fail, and the one place that maps an answer onto it.

The console decides pages, banners and sign-outs from the class alone; codes and messages are kept
verbatim from the upstream so they can be shown as the API sends them.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webapp.parsing import is_ascii_digits


@dataclass(frozen=True)
class ApiErrorItem:
    """One entry of the envelope's `errors` list; `field` is the assumed extension (ASSUMPTIONS.md §1)."""

    code: str
    message: str
    field: str | None = None


class CmsError(Exception):
    """Base of every failure raised by webapp.cms."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[ApiErrorItem] = (),
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors: list[ApiErrorItem] = list(errors)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    @property
    def code(self) -> str | None:
        """The first upstream code, the one that names the failure."""
        return self.errors[0].code if self.errors else None

    def field_errors(self) -> dict[str, str]:
        """Messages keyed by request field, for forms (items without a field are left out)."""
        out: dict[str, str] = {}
        for item in self.errors:
            if item.field and item.field not in out:
                out[item.field] = item.message
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class UpstreamUnavailable(CmsError):
    """Nothing reached the upstream (connect refused, connect or pool timeout): safe to try again."""


class AppAuthFailed(UpstreamUnavailable):
    """The console's own merchant credentials were refused: a system fault, never the operator's
    (docs/faults.md F11)."""


class UpstreamTimeout(CmsError):
    """The request may have been received (read timeout, deadline, reset after sending)."""


class BadUpstreamResponse(CmsError):
    """An answer we cannot trust: not JSON, HTML, empty, too big, redirect, wrong shape, 2xx success:false."""


class CircuitOpen(CmsError):
    """The breaker is open: the upstream was not called."""


class CapabilityMissing(CmsError):
    """The CMS does not offer an assumed operation (configured off, or it answered its route as unknown).

    `capability` is its name in webapp/cms/capabilities.py; the console explains it instead of failing."""

    def __init__(
        self,
        capability: str,
        *,
        configured_off: bool = False,
        status: int | None = None,
        errors: Sequence[ApiErrorItem] = (),
    ) -> None:
        how = "is switched off in the configuration" if configured_off else "is not offered by this CMS"
        super().__init__(f"The operation '{capability}' {how}.", status=status, errors=errors)
        self.capability = capability
        self.configured_off = configured_off


class ApiError(CmsError):
    """The upstream answered with an error envelope."""


class ValidationFailed(ApiError):
    """400 / 422."""


class Unauthorized(ApiError):
    """401."""


class SessionEnded(Unauthorized):
    """The operator's upstream session cannot continue (refresh refused or missing): sign the operator out."""


class Forbidden(ApiError):
    """403 (documented: also a partner not assigned to the operator). The subclasses below refine it by an
    assumed code (contract/ASSUMPTIONS.md §1); a 403 with any other code is this class and shows its code."""


class OtpRequired(Forbidden):
    """403 8005 (assumed code): a fresh OTP (elevation) is needed."""


class PartnerForbidden(Forbidden):
    """403 8010 (assumed code): the partner is not assigned to the operator."""


class PermissionDenied(Forbidden):
    """403 8011 (assumed code): the operator lacks resource:action on the partner."""


class Locked(Forbidden):
    """403 8003 (assumed code): too many failed passwords; `retry_after` says when it unlocks."""


class Inactive(Forbidden):
    """403 8004 (assumed code): the CMS user is deactivated."""


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409."""


class PayloadTooLarge(ApiError):
    """413."""


class RateLimited(ApiError):
    """429; `retry_after` holds the upstream's hint when it gave a usable one."""


class ServerError(ApiError):
    """5xx."""


_FORBIDDEN_BY_CODE: dict[str, type[Forbidden]] = {
    "8003": Locked,
    "8004": Inactive,
    "8005": OtpRequired,
    "8010": PartnerForbidden,
    "8011": PermissionDenied,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    422: ValidationFailed,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_from_envelope(body: Any) -> tuple[str | None, list[ApiErrorItem]]:
    """The summary message and error items of an error envelope; tolerant of missing or odd parts."""
    if not isinstance(body, Mapping):
        return None, []
    message = body.get("message")
    items: list[ApiErrorItem] = []
    raw_errors = body.get("errors")
    if isinstance(raw_errors, list):
        for raw in raw_errors:
            if not isinstance(raw, Mapping):
                continue
            code = raw.get("code")
            text = raw.get("message")
            field = raw.get("field")
            items.append(
                ApiErrorItem(
                    code=str(code) if code is not None else "",
                    message=str(text) if text is not None else "",
                    field=field if isinstance(field, str) and field else None,
                )
            )
    return (message if isinstance(message, str) else None), items


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None when absent or garbage."""
    if value is None:
        return None
    text = value.strip()
    if not text or not text.isascii():  # float() and int() would read full-width digits; '²' would raise
        return None
    if is_ascii_digits(text):
        seconds = float(text)  # not int(): past 4,300 digits int() raises; float() gives inf
        return seconds if math.isfinite(seconds) else None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    outcome_unknown: bool = False,
) -> ApiError:
    """Map an error answer (status + parsed envelope, or None when the body was not JSON) to the tree."""
    message, items = error_from_envelope(body)
    retry_after = parse_retry_after((headers or {}).get("retry-after"))
    code = items[0].code if items else None
    cls: type[ApiError]
    if status == 401:
        # Whatever the code: docs/cms-api.md §1.5 says refresh on 401, and no code for "expired" is
        # documented.
        cls = Unauthorized
    elif status == 403:
        cls = _FORBIDDEN_BY_CODE.get(code or "", Forbidden)
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    text = message or (items[0].message if items else "") or f"Upstream answered HTTP {status}"
    return cls(text, status=status, errors=items, retry_after=retry_after, outcome_unknown=outcome_unknown)
