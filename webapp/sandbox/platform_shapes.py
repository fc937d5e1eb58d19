"""JSON shapes of the platform records (ASSUMPTIONS.md §4): partners, CMS users, permissions, modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.sandbox.clock import iso, now
from webapp.sandbox.db import session
from webapp.sandbox.models import Assignment, CmsUser, Grant, Module, Partner, Permission


def partner_json(partner: Partner) -> dict[str, Any]:
    return {
        "partnerId": partner.partner_id,
        "name": partner.name,
        "legalName": partner.legal_name,
        "country": partner.country,
        "currency": partner.currency,
        "status": partner.status,
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
    data: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "status": user.status,
        "isAdmin": user.is_admin,
        "otpElevation": user.otp_elevation,
        "lastLoginAt": iso(user.last_login_at),
        "locked": bool(user.locked_until and user.locked_until > now()),
        "createdAt": iso(user.created_at),
    }
    if with_partners:
        data["partners"] = [{"partnerId": p.partner_id, "name": p.name} for p in assigned_partners(user)]
    return data


def permission_json(permission: Permission) -> dict[str, Any]:
    return {
        "permissionId": permission.permission_id,
        "resource": permission.resource,
        "action": permission.action,
        "description": permission.description,
    }


def module_json(module: Module) -> dict[str, Any]:
    return {
        "id": module.id,
        "key": module.key,
        "name": module.name,
        "description": module.description,
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
