"""Permissions, the modules that group them, and one user's permissions on a partner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.readers import as_object, list_of, opt_int


class Permission(ApiModel, where="permission"):
    permission_id: int
    resource: str
    action: str
    description: str | None = None

    @property
    def key(self) -> str:
        return f"{self.resource}:{self.action}"


_permissions = list_of(Permission.from_api)


class Module(ApiModel, where="module"):
    id: int
    key: str | None
    name: str
    description: str | None
    permissions: list[Permission] = api(_permissions)


@dataclass(frozen=True)
class UserPermissions:
    user_id: int
    partner_id: int
    permissions: list[Permission]

    def permission_keys(self) -> frozenset[str]:
        return frozenset(p.key for p in self.permissions)

    @classmethod
    def from_api(cls, raw: Any, user_id: int, partner_id: int) -> UserPermissions:
        """Tolerant of `data` being the documented object or a bare list of permissions."""
        w = "userPermissions"
        if isinstance(raw, list):
            return cls(user_id, partner_id, [Permission.from_api(p) for p in raw])
        d = as_object(raw, w)
        return cls(
            user_id=opt_int(d, "cmsUserId", w, user_id) or user_id,
            partner_id=opt_int(d, "partnerId", w, partner_id) or partner_id,
            permissions=_permissions(d, "permissions", w),
        )


@dataclass(frozen=True)
class PermissionSpec:
    """One permission to create through POST /app/permissions (#9)."""

    resource: str
    action: str
    description: str | None = None

    def to_api(self) -> dict[str, str]:
        body = {"resource": self.resource, "action": self.action}
        if self.description:
            body["description"] = self.description
        return body
