"""Cardholders of a partner: list (#11), detail by POST (#13), create (#12), update and close (assumed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from webapp.cms.models import Cardholder, CardholderSummary, NewCardholder
from webapp.cms.pagination import Page, parse_page
from webapp.cms.resources import Resource, present, query

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

_ROUTE = "/app/partners/{partnerId}/cardholders"
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "lastName",
        "address",
        "countryOfBirth",
        "dateOfBirth",
        "maritalStatus",
        "gender",
        "phoneNumber",
        "email",
    }
)


class CardholdersResource(Resource):
    def list(
        self,
        holder: TokenHolder,
        partner_id: int,
        page: int = 1,
        limit: int = 50,
        search: str | None = None,
        sort_by: str | None = "createdAt",
        sort_order: str | None = "desc",
        status: str | None = None,
    ) -> Page[CardholderSummary]:
        # searchText may hold an email, phone or document number: it goes in the query as documented
        # (#11), and the client never logs query values.
        params = query(
            page=page, limit=limit, searchText=search, sortBy=sort_by, sortOrder=sort_order, status=status
        )
        reply = self._call(holder, "GET", _ROUTE, {"partnerId": partner_id}, params=params)
        return parse_page(reply.data, CardholderSummary.from_api, page=page, limit=limit)

    def detail(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, otp: str | None = None
    ) -> Cardholder:
        """A read sent as POST (documented); never retried, since it may carry a one-time code."""
        reply = self._call(
            holder,
            "POST",
            _ROUTE + "/{cardholderId}",
            {"partnerId": partner_id, "cardholderId": cardholder_id},
            json=present(otp=otp),
            idempotent=False,
        )
        return Cardholder.from_api(reply.data)

    def create(
        self,
        holder: TokenHolder,
        partner_id: int,
        data: NewCardholder | Mapping[str, Any],
        idempotency_key: str,
    ) -> Cardholder:
        body = data.to_api() if isinstance(data, NewCardholder) else dict(data)
        reply = self._call(
            holder,
            "POST",
            _ROUTE,
            {"partnerId": partner_id},
            json=body,
            idempotency_key=idempotency_key,
        )
        return Cardholder.from_api(reply.data)

    def update(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, changes: Mapping[str, Any]
    ) -> Cardholder:
        """Only the documented updatable fields are forwarded (no mass assignment of status or partner)."""
        body = {k: v for k, v in changes.items() if k in UPDATABLE_FIELDS}
        reply = self._call(
            holder,
            "PATCH",
            _ROUTE + "/{cardholderId}",
            {"partnerId": partner_id, "cardholderId": cardholder_id},
            json=body,
        )
        return Cardholder.from_api(reply.data)

    def close(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, reason: str, otp: str | None = None
    ) -> Cardholder:
        body = {"reason": reason, **present(otp=otp)}
        reply = self._call(
            holder,
            "POST",
            _ROUTE + "/{cardholderId}/close",
            {"partnerId": partner_id, "cardholderId": cardholder_id},
            json=body,
        )
        return Cardholder.from_api(reply.data)
