"""Partners assigned to the operator, partner detail, and the partner balance (#10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.cms.models import Balance, Partner, as_list
from webapp.cms.resources import Resource

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder


class PartnersResource(Resource):
    def list(self, holder: TokenHolder) -> list[Partner]:
        reply = self._call(holder, "GET", "/app/partners")
        return [Partner.from_api(raw) for raw in as_list(reply.data, "partners")]

    def get(self, holder: TokenHolder, partner_id: int) -> Partner:
        reply = self._call(holder, "GET", "/app/partners/{partnerId}", {"partnerId": partner_id})
        return Partner.from_api(reply.data)

    def balance(self, holder: TokenHolder, partner_id: int) -> Balance:
        reply = self._call(holder, "GET", "/app/partners/{clientId}/balance", {"clientId": partner_id})
        return Balance.from_api(reply.data)
