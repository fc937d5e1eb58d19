"""JSON shapes of the platform records (ASSUMPTIONS.md §4): partners, CMS users, permissions, modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.sandbox.camel import as_json
from webapp.sandbox.clock import iso, now
from webapp.sandbox.db import session
from webapp.sandbox.models import Assignment, CmsUser, Grant, Module, Partner, Permission


def partner_json(partner: Partner) -> dict[str, Any]:
    return {
        **as_json(partner, "partner_id", "name", "legal_name", "country", "currency", "status"),
        "branding": dict(partner.branding or {}),
        "features": list(partner.features or []),
        "createdAt": iso(partner.created_at),
    }


def user_brief(user: CmsUser) -> dict[str, Any]:
    """`{id, name, email}`, as a process request shows its requester and decider."""
    return {"id": user.id, "name": user.name, "email": user.email}


def assigned_partners(user: CmsUser) -> list[Partner]:
    return list(
        session.scalars(
            select(Partner)
            .join(Assignment, Assignment.partner_id == Partner.partner_id)
            .where(Assignment.user_id == user.id)
            .order_by(Partner.partner_id)
        )
    )


def user_json(user: CmsUser, *, with_partners: bool = False) -> dict[str, Any]:
    """A CMS user. `locked` tells an administrator why a correct password is refused."""
    data = as_json(user, "id", "email", "name", "status", "is_admin", "otp_elevation", "last_login_at")
    data["locked"] = bool(user.locked_until and user.locked_until > now())
    data["createdAt"] = iso(user.created_at)
    if with_partners:
        data["partners"] = [{"partnerId": p.partner_id, "name": p.name} for p in assigned_partners(user)]
    return data


def permission_json(permission: Permission) -> dict[str, Any]:
    return as_json(permission, "permission_id", "resource", "action", "description")


def module_json(module: Module) -> dict[str, Any]:
    return {
        **as_json(module, "id", "key", "name", "description"),
        "permissions": [permission_json(p) for p in module.permissions],
    }


def granted_permissions(user_id: int, partner_id: int) -> list[Permission]:
    return list(
        session.scalars(
            select(Permission)
            .join(Grant, Grant.permission_id == Permission.permission_id)
            .where(Grant.user_id == user_id, Grant.partner_id == partner_id)
            .order_by(Permission.permission_id)
        )
    )


def user_permissions_json(user_id: int, partner_id: int) -> dict[str, Any]:
    """The #7 answer: `{cmsUserId, partnerId, permissions: [...]}`."""
    return {
        "cmsUserId": user_id,
        "partnerId": partner_id,
        "permissions": [permission_json(p) for p in granted_permissions(user_id, partner_id)],
    }
