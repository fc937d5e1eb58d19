"""Cards: a cardholder's cards, a partner's free cards, and the activate/block/unblock actions (assumed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webapp.cms.models import Card, as_list
from webapp.cms.pagination import Page
from webapp.cms.resources import Resource

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

_CARD_ROUTE = "/app/partners/{partnerId}/cards/{cardId}"


class CardsResource(Resource):
    def of_cardholder(self, holder: TokenHolder, partner_id: int, cardholder_id: int) -> list[Card]:
        reply = self._call(
            holder,
            "GET",
            "/app/partners/{partnerId}/cardholders/{cardholderId}/cards",
            {"partnerId": partner_id, "cardholderId": cardholder_id},
        )
        data = reply.data
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        return [Card.from_api(raw) for raw in as_list(data, "cards")]

    def free(self, holder: TokenHolder, partner_id: int, page: int = 1, limit: int = 25) -> Page[Card]:
        route, ids = "/app/partners/{partnerId}/cards", {"partnerId": partner_id}
        return self._page(Card.from_api, holder, route, ids, page=page, limit=limit, assigned="false")

    def activate(self, holder: TokenHolder, partner_id: int, card_id: int) -> Card:
        return self._action(holder, partner_id, card_id, "activate", {})

    def block(self, holder: TokenHolder, partner_id: int, card_id: int, reason: str) -> Card:
        return self._action(holder, partner_id, card_id, "block", {"reason": reason})

    def unblock(self, holder: TokenHolder, partner_id: int, card_id: int) -> Card:
        return self._action(holder, partner_id, card_id, "unblock", {})

    def _action(
        self, holder: TokenHolder, partner_id: int, card_id: int, action: str, body: dict[str, Any]
    ) -> Card:
        ids = {"partnerId": partner_id, "cardId": card_id}
        reply = self._call(holder, "POST", f"{_CARD_ROUTE}/{action}", ids, json=body)
        return Card.from_api(reply.data)
