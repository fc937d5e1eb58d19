"""The one way a view changes something in the CMS: claim the form's key, call, classify, record, answer.

Every write view is then parse → `submit_once(...)` → render the outcome:

* `Created`: the CMS did it (the submission record points at what was made; the success event is written);
* `AlreadyDone`: this form's key already succeeded: show what it made, never write twice;
* `InFlight`: the same form is being sent right now, or the key is someone else's (`foreign`: the view
  gives the form a fresh key);
* `Unknown`: the request may have reached the CMS but no answer came back: the key stays claimed as unknown,
  so a deliberate retry replays it instead of creating twice (webapp/store/submissions.py);
* `Refused`: the CMS answered that it did nothing (validation, conflict, permission, rate limit,
  unavailable): the key is released so the corrected form may be sent again.

Whether an outcome is unknown is decided here only (`outcome_unknown`), so a 500 after a create means the
same thing for cardholders, top-ups and uploads. A write without a form key (an edit, a block) goes through
the same function with `key=None`: no claim, the same classification and the same audit events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask_login import current_user

from webapp.cms import errors
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.store.submissions import SubmissionState

T = TypeVar("T")


@dataclass(frozen=True)
class Created(Generic[T]):
    value: T
    ref: str


@dataclass(frozen=True)
class AlreadyDone:
    ref: str


@dataclass(frozen=True)
class InFlight:
    foreign: bool


@dataclass(frozen=True)
class Unknown:
    error: errors.CmsError


@dataclass(frozen=True)
class Refused:
    error: errors.CmsError


Outcome = Created[T] | AlreadyDone | InFlight | Unknown | Refused


@dataclass(frozen=True)
class Write(Generic[T]):
    """One change sent to the CMS, with what the audit trail says about it.

    `event` names the audit event of every outcome; `kind` the submission record (the same unless an older
    name is kept for keys already issued). `target` is the audit target; without one, the created thing's
    `ref` is the target of the success event."""

    event: str
    partner_id: int | None
    send: Callable[[], T]
    ref: Callable[[T], str] = lambda _value: ""
    kind: str | None = None
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    success_detail: Callable[[T], Mapping[str, Any]] | None = None


def outcome_unknown(exc: errors.CmsError) -> bool:
    """True when a failed write may nevertheless have happened upstream.

    The client marks a lost or untrustworthy answer to a non-idempotent request (timeouts, a broken
    connection, 502/504, an unreadable body: webapp/cms/client.py). A plain 500 counts too: the CMS may have
    stored the change before failing, and no idempotency is documented for it (docs/cms-api.md §6.4), so
    only a check of the list can tell."""
    return (
        exc.outcome_unknown
        or isinstance(exc, errors.UpstreamTimeout)
        or (isinstance(exc, errors.ServerError) and exc.status == 500)
    )


def _earlier(key: str, kind: str, partner_id: int | None) -> AlreadyDone | InFlight | None:
    earlier = submissions.claim(key, kind=kind, actor_id=current_user.id, partner_id=partner_id)
    if earlier is None:
        return None
    if earlier.status is SubmissionState.SUCCEEDED and earlier.result_ref:
        return AlreadyDone(earlier.result_ref)
    return InFlight(foreign=earlier.status is SubmissionState.FOREIGN)


def submit_once(write: Write[T], key: str | None = None) -> Outcome[T]:
    """Send `write` at most once per `key` (None: no form key to claim) and say what became of it.

    A session that ended upstream is re-raised after releasing the key: the sign-in redirect keeps the form as
    a draft (webapp/auth/session_lifecycle.py) and nothing was created."""
    kind = write.kind or write.event
    if key is not None:
        earlier = _earlier(key, kind, write.partner_id)
        if earlier is not None:
            return earlier
    try:
        value = write.send()
    except errors.SessionEnded:
        if key is not None:
            submissions.release(key)
        raise
    except errors.CmsError as exc:
        return _failed(write, key, exc)
    except BaseException:
        if key is not None:
            submissions.release(key)
        raise
    ref = write.ref(value)
    if key is not None:
        submissions.succeeded(key, ref)
    detail = dict(write.detail)
    if write.success_detail is not None:
        detail.update(write.success_detail(value))
    record_event(
        write.event,
        outcome="success",
        target=write.target or ref or None,
        partner_id=write.partner_id,
        detail=detail,
    )
    return Created(value, ref)


def _failed(write: Write[Any], key: str | None, exc: errors.CmsError) -> Unknown | Refused:
    detail = {**write.detail, "code": exc.code, "error": type(exc).__name__}
    unknown = outcome_unknown(exc)
    if key is not None:
        if unknown:
            submissions.unknown(key)
        else:
            submissions.release(key)
    record_event(
        write.event,
        outcome="unknown" if unknown else "refused",
        target=write.target,
        partner_id=write.partner_id,
        detail=detail,
    )
    return Unknown(exc) if unknown else Refused(exc)


def fresh_key(current: str | None) -> str:
    """The form's key when it is one we issued, else a new one (a tampered or missing key never claims)."""
    return current if current is not None and submissions.is_valid_key(current) else submissions.new_key()
