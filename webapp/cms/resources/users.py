"""CMS users of a partner: list, detail, create, update, status change (all assumed, ASSUMPTIONS.md §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webapp.cms.models import CmsUser
from webapp.cms.pagination import Page
from webapp.cms.resources import Resource, present

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

_ROUTE = "/app/partners/{partnerId}/users"


class UsersResource(Resource):
    def list(
        self,
        holder: TokenHolder,
        partner_id: int,
        page: int = 1,
        limit: int = 25,
        search: str | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Page[CmsUser]:
        filters = {"searchText": search, "status": status, "sortBy": sort_by, "sortOrder": sort_order}
        ids = {"partnerId": partner_id}
        return self._page(CmsUser.from_api, holder, _ROUTE, ids, page=page, limit=limit, **filters)

    def get(self, holder: TokenHolder, partner_id: int, user_id: int) -> CmsUser:
        return self._one(holder, "GET", "", partner_id, user_id)

    def create(
        self,
        holder: TokenHolder,
        partner_id: int,
        email: str,
        name: str,
        password: str,
        idempotency_key: str | None = None,
        otp: str | None = None,
    ) -> CmsUser:
        body = {"email": email, "name": name, "password": password, **present(otp=otp)}
        ids = {"partnerId": partner_id}
        reply = self._call(holder, "POST", _ROUTE, ids, json=body, idempotency_key=idempotency_key)
        return CmsUser.from_api(reply.data)

    def update(
        self,
        holder: TokenHolder,
        partner_id: int,
        user_id: int,
        *,
        name: str | None = None,
        email: str | None = None,
    ) -> CmsUser:
        body = {k: v for k, v in {"name": name, "email": email}.items() if v is not None}
        return self._one(holder, "PATCH", "", partner_id, user_id, json=body)

    def set_status(
        self, holder: TokenHolder, partner_id: int, user_id: int, status: str, otp: str | None = None
    ) -> CmsUser:
        body = {"status": status, **present(otp=otp)}
        return self._one(holder, "PUT", "/status", partner_id, user_id, json=body, idempotent=False)

    def _one(
        self, holder: TokenHolder, method: str, action: str, partner_id: int, user_id: int, **call: Any
    ) -> CmsUser:
        """A call on one user (`action` after its path), answered by the user."""
        ids = {"partnerId": partner_id, "cmsUserId": user_id}
        reply = self._call(holder, method, _ROUTE + "/{cmsUserId}" + action, ids, **call)
        return CmsUser.from_api(reply.data)
