"""Bulk uploads (#14, #15), batch status and rows (assumed), and the SSE progress stream (#16)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from webapp.cms.errors import BadUpstreamResponse
from webapp.cms.models import Batch, BatchRow, ProgressFrame, as_object
from webapp.cms.pagination import Page, parse_page
from webapp.cms.resources import Resource, fill
from webapp.cms.sse import progress_frames
from webapp.cms.timing import UPLOAD_DEADLINE_FACTOR
from webapp.cms.wire import ApiRequest

if TYPE_CHECKING:
    import httpx

    from webapp.cms.auth import TokenHolder

UPLOAD_PATHS = {"users": "cardholders/upload", "cards": "cards/upload"}
_CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
}
_BATCH_ROUTE = "/app/partners/{partnerId}/batches/{batchId}"


def _read_all(content: bytes | IO[bytes]) -> bytes:
    # Held in memory so that a retry after a connect error resends the same bytes (the console caps the size).
    return content if isinstance(content, bytes) else content.read()


class UploadsResource(Resource):
    def submit(
        self,
        holder: TokenHolder,
        partner_id: int,
        kind: str,
        filename: str,
        content: bytes | IO[bytes],
        idempotency_key: str,
        otp: str | None = None,
    ) -> str:
        """Send the spreadsheet; answers the batch id. Multipart field `users` (cardholders) or `cards`."""
        if kind not in UPLOAD_PATHS:
            raise ValueError(f"unknown upload kind {kind!r}")
        suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
        ctype = _CONTENT_TYPES.get(suffix, "application/octet-stream")
        reply = self._call(
            holder,
            "POST",
            "/app/partners/{partnerId}/" + UPLOAD_PATHS[kind],
            {"partnerId": partner_id},
            idempotency_key=idempotency_key,
            files={kind: (filename, _read_all(content), ctype)},
            form={"otp": otp} if otp else None,
            deadline=self._auth.settings.deadline * UPLOAD_DEADLINE_FACTOR,
        )
        data = as_object(reply.data, "upload")
        batch_id = data.get("id")
        if not isinstance(batch_id, str) or not batch_id:
            raise BadUpstreamResponse("Unexpected upstream data: upload.id is missing")
        return batch_id

    def batch(self, holder: TokenHolder, partner_id: int, batch_id: str) -> Batch:
        reply = self._call(holder, "GET", _BATCH_ROUTE, {"partnerId": partner_id, "batchId": batch_id})
        return Batch.from_api(reply.data)

    def results(
        self, holder: TokenHolder, partner_id: int, batch_id: str, page: int = 1, limit: int = 50
    ) -> Page[BatchRow]:
        reply = self._call(
            holder,
            "GET",
            _BATCH_ROUTE + "/results",
            {"partnerId": partner_id, "batchId": batch_id},
            params={"page": page, "limit": limit},
        )
        return parse_page(reply.data, BatchRow.from_api, page=page, limit=limit)

    def progress(
        self,
        holder: TokenHolder,
        partner_id: int,
        batch_id: str,
        idle_timeout: float = 30.0,
        max_duration: float = 600.0,
    ) -> Iterator[ProgressFrame]:
        """Frames as they arrive, ending after the terminal one. Close the iterator to stop early."""
        route = "/app/partners/{partnerId}/cardholders/batch/{batchId}/progress"
        request = ApiRequest(
            "GET",
            fill(route, {"partnerId": partner_id, "batchId": batch_id}),
            route,
            headers={"Accept": "text/event-stream", "Cache-Control": "no-cache"},
        )
        upstream = self._auth.upstream

        def open_stream(headers: dict[str, str]) -> tuple[contextlib.ExitStack, httpx.Response]:
            stack = contextlib.ExitStack()
            response = stack.enter_context(upstream.stream(request, headers, read_timeout=idle_timeout))
            return stack, response

        stack, response = self._auth.run(holder, open_stream)
        with stack:
            yield from progress_frames(response, upstream.clock, idle_timeout, max_duration)
