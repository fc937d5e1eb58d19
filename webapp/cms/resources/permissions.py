"""Modules (#8), permission create (#9), a user's permissions on a partner (#7), grant and revoke."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from webapp.cms.models import Module, Permission, PermissionSpec, UserPermissions, as_list, as_object
from webapp.cms.resources import Resource, present

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder


class PermissionsResource(Resource):
    def of_user(self, holder: TokenHolder, user_id: int, partner_id: int) -> UserPermissions:
        reply = self._call(
            holder,
            "GET",
            "/app/users/{cmsUserId}/partners/{partnerId}/permissions",
            {"cmsUserId": user_id, "partnerId": partner_id},
        )
        return UserPermissions.from_api(reply.data, user_id, partner_id)

    def modules(self, holder: TokenHolder) -> list[Module]:
        reply = self._call(holder, "GET", "/app/modules")
        return [Module.from_api(raw) for raw in as_list(reply.data, "modules")]

    def create(
        self, holder: TokenHolder, specs: Iterable[PermissionSpec | Mapping[str, Any]]
    ) -> list[Permission]:
        """Admin only upstream; a permission the platform does not know is stored but not enforced."""
        body = {"permissions": [s.to_api() if isinstance(s, PermissionSpec) else dict(s) for s in specs]}
        reply = self._call(holder, "POST", "/app/permissions", json=body)
        data = reply.data
        if isinstance(data, Mapping) and "permissions" in data:
            data = data["permissions"]
        return [Permission.from_api(raw) for raw in as_list(data, "permissions")]

    def grant(
        self, holder: TokenHolder, user_id: int, pairs: Sequence[tuple[int, int]], otp: str | None = None
    ) -> list[UserPermissions]:
        """Grant (permissionId, partnerId) pairs; answers the user's permissions on those partners."""
        return self._change(holder, user_id, pairs, otp, revoke=False)

    def revoke(
        self, holder: TokenHolder, user_id: int, pairs: Sequence[tuple[int, int]], otp: str | None = None
    ) -> list[UserPermissions]:
        return self._change(holder, user_id, pairs, otp, revoke=True)

    def _change(
        self,
        holder: TokenHolder,
        user_id: int,
        pairs: Sequence[tuple[int, int]],
        otp: str | None,
        *,
        revoke: bool,
    ) -> list[UserPermissions]:
        body = {
            "permissions": [{"permissionId": int(pid), "partnerId": int(partner)} for pid, partner in pairs],
            **present(otp=otp),
        }
        suffix = "/revoke" if revoke else ""
        reply = self._call(
            holder,
            "POST",
            "/app/users/{cmsUserId}/permissions" + suffix,
            {"cmsUserId": user_id},
            json=body,
        )
        return _user_permission_sets(reply.data, user_id, [partner for _, partner in pairs])


def _user_permission_sets(data: Any, user_id: int, partners: list[int]) -> list[UserPermissions]:
    """The answer: one `{cmsUserId, partnerId, permissions}` per partner, a single one, or a bare list."""
    if isinstance(data, list) and all(isinstance(x, Mapping) and "permissions" in x for x in data):
        return [UserPermissions.from_api(x, user_id, partners[0] if partners else 0) for x in data]
    if isinstance(data, Mapping) and isinstance(data.get("partners"), list):
        return [UserPermissions.from_api(x, user_id, 0) for x in data["partners"]]
    if data is None:
        return []
    fallback_partner = partners[0] if len(set(partners)) == 1 else 0
    if isinstance(data, list):
        return [UserPermissions.from_api(data, user_id, fallback_partner)]
    return [UserPermissions.from_api(as_object(data, "permissions"), user_id, fallback_partner)]
