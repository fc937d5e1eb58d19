"""Finishing a sign-in: who the operator is, what they may do on each partner, and a fresh session.

Permissions are read per assigned partner in parallel (on the shared pool of webapp/fanout.py), not one after
another: an operator with five partners should wait for one round trip, not five.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from flask import current_app, session, url_for
from flask_login import login_user

from webapp import fanout
from webapp.access import Operator, PartnerRef
from webapp.auth.session_lifecycle import (
    OPERATOR_KEY,
    PENDING_LOGIN_SECONDS,
    regenerate_session_id,
    start_session_clock,
)
from webapp.auth.token_holder import PENDING_TOKENS_KEY, REVISION_SUFFIX, TOKENS_KEY, SessionTokenHolder
from webapp.cms import CmsClient, errors, models
from webapp.partner_list import parse_partners

PENDING_KEY = "pending_login"
PERMISSION_WORKERS = 4


def begin_pending(*, email: str, user_id: int, name: str, next_path: str | None) -> None:
    """Remember the password step server-side (bound to this session) for at most ten minutes.

    The documented login answer (`id, email, name`) is the operator's identity; nothing else is needed."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING_KEY] = {
        "email": email,
        "user_id": user_id,
        "name": name,
        "started_at": time.time(),
        "next": next_path,
    }
    regenerate_session_id()


def pending_login() -> dict[str, Any] | None:
    """The password step of this session, if it happened less than ten minutes ago."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("started_at", 0)) > PENDING_LOGIN_SECONDS:
        drop_pending()
        return None
    return pending


def drop_pending() -> None:
    for key in (PENDING_KEY, PENDING_TOKENS_KEY, PENDING_TOKENS_KEY + REVISION_SUFFIX):
        session.pop(key, None)


def _permission_names(perms: models.UserPermissions) -> frozenset[str]:
    return frozenset(f"{p.resource}:{p.action}" for p in perms.permissions)


def _own_permissions(
    client: CmsClient, holder: SessionTokenHolder, user_id: int, partner_id: int
) -> frozenset[str] | None:
    """The operator's permissions on a partner, or None when the CMS refuses (the partner is not theirs)."""
    try:
        return _permission_names(client.permissions.of_user(holder, user_id, partner_id))
    except errors.Forbidden:
        return None


def permissions_by_partner(
    client: CmsClient, holder: SessionTokenHolder, user_id: int, partner_ids: list[int]
) -> dict[int, frozenset[str]]:
    """`resource:action` names per partner the CMS lets the operator read (#7), fetched concurrently.

    The workers get the holder and plain ids only: Flask's context-bound proxies do not cross threads."""
    jobs = {pid: partial(_own_permissions, client, holder, user_id, pid) for pid in partner_ids}
    found = fanout.gather(jobs, per_call=PERMISSION_WORKERS)
    return {pid: perms for pid, perms in found.items() if perms is not None}


def _current_operator(client: CmsClient, holder: SessionTokenHolder) -> models.Operator | None:
    """`GET /app/users/me` when the CMS offers it (assumed capability `current-operator`; once known
    missing, the client does not ask again)."""
    try:
        return client.auth.me(holder)
    except errors.CapabilityMissing:
        return None


def _candidate_partners(client: CmsClient, holder: SessionTokenHolder) -> list[models.PartnerRef]:
    """Partners to check when `me` cannot say: the CMS's partner list if offered, else `CMS_PARTNERS`."""
    try:
        return [models.PartnerRef(p.partner_id, p.name) for p in client.partners.list(holder)]
    except errors.CapabilityMissing:
        return list(parse_partners(current_app.config.get("CMS_PARTNERS")))


def fetch_operator(client: CmsClient, holder: SessionTokenHolder, pending: dict[str, Any]) -> Operator:
    """Who signed in and what they may do on each partner (raises CmsError when the CMS cannot say).

    Identity is the login answer's; `me` adds partners and flags when the CMS has it. Without it, the
    operator is taken to be subject to OTP elevation (the safe reading of docs/cms-api.md §1.4)."""
    me = _current_operator(client, holder)
    user_id = me.id if me is not None else int(pending["user_id"])
    refs = list(me.partners) if me is not None else _candidate_partners(client, holder)
    permissions = permissions_by_partner(client, holder, user_id, [ref.partner_id for ref in refs])
    return Operator(
        id=user_id,
        email=me.email if me is not None else str(pending["email"]),
        name=me.name if me is not None else str(pending.get("name") or pending["email"]),
        is_admin=me.is_admin if me is not None else False,
        otp_elevation=me.otp_elevation if me is not None else True,
        partners=tuple(
            PartnerRef(partner_id=ref.partner_id, name=ref.name or f"Partner {ref.partner_id}")
            for ref in refs
            if ref.partner_id in permissions
        ),
        permissions=permissions,
    )


def open_session(operator: Operator, holder: SessionTokenHolder) -> None:
    """Replace the pre-sign-in session with the operator's, under a brand-new session id; no remember-me."""
    tokens_raw = session.get(PENDING_TOKENS_KEY)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[TOKENS_KEY] = tokens_raw
    session[TOKENS_KEY + REVISION_SUFFIX] = 1
    session[OPERATOR_KEY] = operator.to_dict()
    start_session_clock()
    login_user(operator, remember=False)
    regenerate_session_id()


def home_for(operator: Operator) -> str:
    """One partner: its dashboard. Several (or none): the partner picker explains what to do."""
    if len(operator.partners) == 1:
        return url_for("dashboard.partner_dashboard", partner_id=operator.partners[0].partner_id)
    return url_for("auth.pick_partner")


def pending_holder() -> SessionTokenHolder:
    return SessionTokenHolder(PENDING_TOKENS_KEY, app=current_app._get_current_object())  # type: ignore[attr-defined]
