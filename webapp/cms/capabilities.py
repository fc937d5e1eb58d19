"""Capabilities: every assumed CMS operation, by name, and what this process knows of each.

docs/cms-api.md documents 19 operations; everything else the console uses is this project's assumption
(`contract/openapi.yaml` marks those `x-source: assumed` and names their capability in `x-capability`).
A feature that needs an assumed operation asks for its capability. It is *off* when configuration says so
(`CMS_CAPABILITIES_OFF`) and *learned absent* the first time the CMS answers its route as unknown (404
with code 7010 or without a code, 405, 501), so a missing operation is an explanation, never a 500. What
is learned is per process on purpose: each node finds out with one call, and nothing another node needs
lives here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from webapp.cms import errors
from webapp.translatable import N_

# name → what it lets the console do (English; the console translates it when it shows it)
CAPABILITIES: dict[str, str] = {
    "current-operator": N_("say who is signed in and which partners they have"),
    "partners": N_("list partners and show their details"),
    "cms-users": N_("list and show CMS users"),
    "cms-user-changes": N_("create CMS users, edit them and change their status"),
    "permission-grants": N_("grant and revoke permissions"),
    "cardholder-changes": N_("edit and close cardholders"),
    "cardholder-cards": N_("list a cardholder's cards"),
    "partner-cards": N_("list a partner's cards"),
    "card-actions": N_("activate, block and unblock cards"),
    "batch-status": N_("show the status and row results of a bulk upload"),
    "process-request-detail": N_("show one top-up request and its evidence"),
    "process-request-decisions": N_("approve, reject and cancel top-up requests"),
}

# (method, route template as in the contract) → capability. Documented operations are absent: always offered.
_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/app/users/me"): "current-operator",
    ("GET", "/app/partners"): "partners",
    ("GET", "/app/partners/{partnerId}"): "partners",
    ("GET", "/app/partners/{partnerId}/users"): "cms-users",
    ("GET", "/app/partners/{partnerId}/users/{cmsUserId}"): "cms-users",
    ("POST", "/app/partners/{partnerId}/users"): "cms-user-changes",
    ("PATCH", "/app/partners/{partnerId}/users/{cmsUserId}"): "cms-user-changes",
    ("PUT", "/app/partners/{partnerId}/users/{cmsUserId}/status"): "cms-user-changes",
    ("POST", "/app/users/{cmsUserId}/permissions"): "permission-grants",
    ("POST", "/app/users/{cmsUserId}/permissions/revoke"): "permission-grants",
    ("PATCH", "/app/partners/{partnerId}/cardholders/{cardholderId}"): "cardholder-changes",
    ("POST", "/app/partners/{partnerId}/cardholders/{cardholderId}/close"): "cardholder-changes",
    ("GET", "/app/partners/{partnerId}/cardholders/{cardholderId}/cards"): "cardholder-cards",
    ("GET", "/app/partners/{partnerId}/cards"): "partner-cards",
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/activate"): "card-actions",
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/block"): "card-actions",
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/unblock"): "card-actions",
    ("GET", "/app/partners/{partnerId}/batches/{batchId}"): "batch-status",
    ("GET", "/app/partners/{partnerId}/batches/{batchId}/results"): "batch-status",
    ("GET", "/app/partners/{partnerId}/process-requests/{id}"): "process-request-detail",
    ("GET", "/app/partners/{partnerId}/process-requests/{id}/evidence"): "process-request-detail",
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/approve"): "process-request-decisions",
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/reject"): "process-request-decisions",
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/cancel"): "process-request-decisions",
}

ALL = frozenset(CAPABILITIES)
# The code docs/cms-api.md §2.3 documents for an unknown route.
UNKNOWN_ROUTE_CODE = "7010"


def capability_for(method: str, route: str) -> str | None:
    """The capability an operation needs, or None for a documented operation."""
    return _ROUTES.get((method.upper(), route))


def routes() -> dict[tuple[str, str], str]:
    """A copy of the operation → capability table (for the contract test and the probe)."""
    return dict(_ROUTES)


def parse_off(raw: Iterable[str] | str | None) -> frozenset[str]:
    """`CMS_CAPABILITIES_OFF`: names, or `assumed` for all of them; an unknown name is a ValueError."""
    if raw is None:
        return frozenset()
    items = [p.strip() for p in raw.split(",")] if isinstance(raw, str) else [str(p).strip() for p in raw]
    names = {p for p in items if p}
    if "assumed" in names:
        return ALL
    unknown = names - ALL
    if unknown:
        raise ValueError(
            f"unknown capabilities {', '.join(sorted(unknown))} (known: {', '.join(sorted(ALL))})"
        )
    return frozenset(names)


def means_absent(exc: errors.CmsError) -> bool:
    """Whether an answer says the route itself does not exist (not that a record was not found): 405, 501,
    a 404 with code 7010 or no code, or a 404 page without the envelope (a gateway's own)."""
    if exc.status in {405, 501}:
        return True
    if isinstance(exc, errors.BadUpstreamResponse):
        return exc.status == 404
    return isinstance(exc, errors.NotFound) and exc.code in {None, "", UNKNOWN_ROUTE_CODE}


class Capabilities:
    """What this process may ask of the CMS: configured off, or learned absent from an answer."""

    def __init__(self, off: Iterable[str] = ()) -> None:
        self._off = frozenset(off)
        self._absent: set[str] = set()
        self._lock = threading.Lock()

    def offered(self, name: str) -> bool:
        """False once the capability is known to be missing; True while it may exist."""
        if name not in ALL:
            raise KeyError(name)
        with self._lock:
            return name not in self._off and name not in self._absent

    def missing(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._off | self._absent)

    def require(self, name: str) -> None:
        """Raise CapabilityMissing without calling the CMS when the capability is known to be missing."""
        if not self.offered(name):
            raise errors.CapabilityMissing(name, configured_off=name in self._off)

    def learn_absent(self, name: str, cause: errors.CmsError) -> errors.CapabilityMissing:
        """Remember that the CMS lacks `name`; the error to raise in place of `cause`."""
        with self._lock:
            self._absent.add(name)
        return errors.CapabilityMissing(name, status=cause.status, errors=cause.errors)
