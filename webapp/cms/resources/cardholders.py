"""Cardholders of a partner: list (#11), detail by POST (#13), create (#12), update and close (assumed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from webapp.cms.models import Cardholder, CardholderSummary, NewCardholder
from webapp.cms.pagination import Page
from webapp.cms.resources import Resource, present

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

_ROUTE = "/app/partners/{partnerId}/cardholders"
# What an update may change: the fields of a create but the document and the card.
UPDATABLE_FIELDS = frozenset(NewCardholder.api_keys()) - {"documentType", "documentNumber", "cardId"}


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
        filters = {"searchText": search, "sortBy": sort_by, "sortOrder": sort_order, "status": status}
        ids = {"partnerId": partner_id}
        return self._page(CardholderSummary.from_api, holder, _ROUTE, ids, page=page, limit=limit, **filters)

    def detail(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, otp: str | None = None
    ) -> Cardholder:
        """A read sent as POST (documented); never retried, since it may carry a one-time code."""
        body = present(otp=otp)
        return self._one(holder, "POST", "", partner_id, cardholder_id, json=body, idempotent=False)

    def create(
        self,
        holder: TokenHolder,
        partner_id: int,
        data: NewCardholder | Mapping[str, Any],
        idempotency_key: str,
    ) -> Cardholder:
        body = data.to_api() if isinstance(data, NewCardholder) else dict(data)
        ids = {"partnerId": partner_id}
        reply = self._call(holder, "POST", _ROUTE, ids, json=body, idempotency_key=idempotency_key)
        return Cardholder.from_api(reply.data)

    def update(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, changes: Mapping[str, Any]
    ) -> Cardholder:
        """Only the documented updatable fields are forwarded (no mass assignment of status or partner)."""
        body = {k: v for k, v in changes.items() if k in UPDATABLE_FIELDS}
        return self._one(holder, "PATCH", "", partner_id, cardholder_id, json=body)

    def close(
        self, holder: TokenHolder, partner_id: int, cardholder_id: int, reason: str, otp: str | None = None
    ) -> Cardholder:
        body = {"reason": reason, **present(otp=otp)}
        return self._one(holder, "POST", "/close", partner_id, cardholder_id, json=body)

    def _one(
        self, holder: TokenHolder, method: str, action: str, partner_id: int, cardholder_id: int, **call: Any
    ) -> Cardholder:
        """A call on one cardholder (`action` after its path), answered by the cardholder."""
        ids = {"partnerId": partner_id, "cardholderId": cardholder_id}
        reply = self._call(holder, method, _ROUTE + "/{cardholderId}" + action, ids, **call)
        return Cardholder.from_api(reply.data)
