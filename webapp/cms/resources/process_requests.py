"""Process requests (partner balance top-ups): create (#17), lists (#18, #19), detail, decisions, evidence."""

from __future__ import annotations

import builtins
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from webapp.cms.errors import CapabilityMissing, NotFound
from webapp.cms.models import EvidenceFile, ProcessRequest, as_list
from webapp.cms.pagination import Page
from webapp.cms.resources import Resource, present
from webapp.cms.timing import UPLOAD_DEADLINE_FACTOR

if TYPE_CHECKING:
    from webapp.cms.auth import TokenHolder

_ROUTE = "/app/partners/{partnerId}/process-requests/{id}"
_FILENAME = re.compile(r"""filename\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _safe_file_name(disposition: str | None) -> str:
    """The attachment's name, stripped of any path and control characters (it is shown and re-served)."""
    match = _FILENAME.search(disposition or "")
    name = (match.group(1) or match.group(2)) if match else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*')
    return name.strip(" .") or "evidence"


class ProcessRequestsResource(Resource):
    def list(
        self,
        holder: TokenHolder,
        partner_id: int,
        page: int = 1,
        limit: int = 10,
        status: str | None = None,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
    ) -> Page[ProcessRequest]:
        filters = {"status": status, "from": _iso(date_from), "to": _iso(date_to)}
        route, ids = "/app/partners/{clientId}/process-requests", {"clientId": partner_id}
        return self._page(ProcessRequest.from_api, holder, route, ids, page=page, limit=limit, **filters)

    def all(self, holder: TokenHolder, partner_id: int) -> builtins.list[ProcessRequest]:
        reply = self._call(
            holder,
            "GET",
            "/app/partners/{clientId}/process-request",
            {"clientId": partner_id},
        )
        return [ProcessRequest.from_api(raw) for raw in as_list(reply.data, "processRequests")]

    def get(self, holder: TokenHolder, partner_id: int, request_id: int) -> ProcessRequest:
        """One request: its own read when the CMS has it (assumed `process-request-detail`), else found in
        the documented full list (#19), so a request can be shown by documented operations alone."""
        try:
            reply = self._call(holder, "GET", _ROUTE, {"partnerId": partner_id, "id": request_id})
            return ProcessRequest.from_api(reply.data)
        except CapabilityMissing:
            pass
        for found in self.all(holder, partner_id):
            if found.id == request_id:
                return found
        raise NotFound(f"Process request {request_id} not found.", status=404)

    def create(
        self,
        holder: TokenHolder,
        partner_id: int,
        amount: Decimal,
        observations: str | None,
        evidence_name: str,
        evidence_bytes: bytes,
        evidence_type: str,
        idempotency_key: str,
        otp: str | None = None,
    ) -> ProcessRequest:
        """Multipart as documented; the amount is sent as its exact decimal text, never through a float."""
        form = {"requestedAmount": format(amount, "f"), **present(observations=observations, otp=otp)}
        reply = self._call(
            holder,
            "POST",
            "/app/partners/{partnerId}/process-request",
            {"partnerId": partner_id},
            idempotency_key=idempotency_key,
            form=form,
            files={"evidence": (evidence_name, evidence_bytes, evidence_type)},
            deadline=self._auth.settings.deadline * UPLOAD_DEADLINE_FACTOR,
        )
        return ProcessRequest.from_api(reply.data)

    def approve(
        self,
        holder: TokenHolder,
        partner_id: int,
        request_id: int,
        reason: str | None = None,
        otp: str | None = None,
    ) -> ProcessRequest:
        return self._decide(holder, partner_id, request_id, "approve", reason, otp)

    def reject(
        self, holder: TokenHolder, partner_id: int, request_id: int, reason: str, otp: str | None = None
    ) -> ProcessRequest:
        return self._decide(holder, partner_id, request_id, "reject", reason, otp)

    def cancel(
        self, holder: TokenHolder, partner_id: int, request_id: int, reason: str | None = None
    ) -> ProcessRequest:
        return self._decide(holder, partner_id, request_id, "cancel", reason, None)

    def _decide(
        self,
        holder: TokenHolder,
        partner_id: int,
        request_id: int,
        action: str,
        reason: str | None,
        otp: str | None,
    ) -> ProcessRequest:
        ids = {"partnerId": partner_id, "id": request_id}
        reply = self._call(holder, "POST", f"{_ROUTE}/{action}", ids, json=present(reason=reason, otp=otp))
        return ProcessRequest.from_api(reply.data)

    def evidence(self, holder: TokenHolder, partner_id: int, request_id: int) -> EvidenceFile:
        reply = self._call(
            holder,
            "GET",
            _ROUTE + "/evidence",
            {"partnerId": partner_id, "id": request_id},
            raw=True,
        )
        content_type = reply.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return EvidenceFile(
            content=reply.content,
            content_type=content_type or "application/octet-stream",
            file_name=_safe_file_name(reply.headers.get("content-disposition")),
        )
