"""CMS users of a partner: list, detail, create, update, status change (all assumed, ASSUMPTIONS.md §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.cms.models import CmsUser
from webapp.cms.pagination import Page, parse_page
from webapp.cms.resources import Resource, present, query

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
        params = query(
            page=page, limit=limit, searchText=search, status=status, sortBy=sort_by, sortOrder=sort_order
        )
        reply = self._call(holder, "GET", _ROUTE, {"partnerId": partner_id}, params=params)
        return parse_page(reply.data, CmsUser.from_api, page=page, limit=limit)

    def get(self, holder: TokenHolder, partner_id: int, user_id: int) -> CmsUser:
        reply = self._call(
            holder, "GET", _ROUTE + "/{cmsUserId}", {"partnerId": partner_id, "cmsUserId": user_id}
        )
        return CmsUser.from_api(reply.data)

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
        reply = self._call(
            holder,
            "POST",
            _ROUTE,
            {"partnerId": partner_id},
            json=body,
            idempotency_key=idempotency_key,
        )
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
        reply = self._call(
            holder,
            "PATCH",
            _ROUTE + "/{cmsUserId}",
            {"partnerId": partner_id, "cmsUserId": user_id},
            json=body,
        )
        return CmsUser.from_api(reply.data)

    def set_status(
        self, holder: TokenHolder, partner_id: int, user_id: int, status: str, otp: str | None = None
    ) -> CmsUser:
        body = {"status": status, **present(otp=otp)}
        reply = self._call(
            holder,
            "PUT",
            _ROUTE + "/{cmsUserId}/status",
            {"partnerId": partner_id, "cmsUserId": user_id},
            json=body,
            idempotent=False,
        )
        return CmsUser.from_api(reply.data)
