"""Finishing a sign-in: who the operator is, what they may do on each partner, and a fresh session.

Permissions are read per assigned partner in parallel (a small pool), not one after another: an operator with
five partners should wait for one round trip, not five.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app, session, url_for

from webapp.access import Operator, PartnerRef, store_operator
from webapp.auth.session_lifecycle import PENDING_LOGIN_SECONDS, regenerate_session_id, start_session_clock
from webapp.auth.token_holder import PENDING_TOKENS_KEY, REVISION_SUFFIX, TOKENS_KEY, SessionTokenHolder
from webapp.cms import CmsClient, models

PENDING_KEY = "pending_login"
PERMISSION_WORKERS = 4


def begin_pending(*, email: str, user_id: int, next_path: str | None) -> None:
    """Remember the password step server-side (bound to this session) for at most ten minutes."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING_KEY] = {"email": email, "user_id": user_id, "started_at": time.time(), "next": next_path}
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


def permissions_by_partner(
    client: CmsClient, holder: SessionTokenHolder, operator: models.Operator
) -> dict[int, frozenset[str]]:
    """`resource:action` names per assigned partner, fetched concurrently.

    The workers get the holder and plain ids only: Flask's context-bound proxies do not cross threads.
    """
    partner_ids = [ref.partner_id for ref in operator.partners]
    if not partner_ids:
        return {}
    with ThreadPoolExecutor(max_workers=min(PERMISSION_WORKERS, len(partner_ids))) as pool:
        futures = {
            pid: pool.submit(client.permissions.of_user, holder, operator.id, pid) for pid in partner_ids
        }
        return {pid: _permission_names(future.result()) for pid, future in futures.items()}


def build_operator(me: models.Operator, permissions: dict[int, frozenset[str]]) -> Operator:
    return Operator(
        id=me.id,
        email=me.email,
        name=me.name,
        is_admin=me.is_admin,
        otp_elevation=me.otp_elevation,
        partners=tuple(PartnerRef(partner_id=ref.partner_id, name=ref.name) for ref in me.partners),
        permissions=permissions,
    )


def load_operator(client: CmsClient, holder: SessionTokenHolder) -> Operator:
    """Ask the upstream who signed in and what they may do (raises CmsError when it cannot say)."""
    me = client.auth.me(holder)
    return build_operator(me, permissions_by_partner(client, holder, me))


def open_session(operator: Operator, holder: SessionTokenHolder) -> None:
    """Replace the pre-sign-in session with the operator's, under a brand-new session id."""
    tokens_raw = session.get(PENDING_TOKENS_KEY)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[TOKENS_KEY] = tokens_raw
    session[TOKENS_KEY + REVISION_SUFFIX] = 1
    store_operator(operator)
    start_session_clock()
    regenerate_session_id()


def home_for(operator: Operator) -> str:
    """One partner: its dashboard. Several (or none): the partner picker explains what to do."""
    if len(operator.partners) == 1:
        return url_for("dashboard.partner_dashboard", partner_id=operator.partners[0].partner_id)
    return url_for("auth.pick_partner")


def pending_holder() -> SessionTokenHolder:
    return SessionTokenHolder(PENDING_TOKENS_KEY, app=current_app._get_current_object())  # type: ignore[attr-defined]
