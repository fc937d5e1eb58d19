"""An httpx transport that keeps a copy of each exchange, so the probe sees answers the client refuses.

The CMS client raises on error answers and keeps only `data` of good ones; the probe needs the whole body
(status, envelope, field names) even when the client gave up, e.g. on an app token it could not verify.
Event streams pass through unrecorded: reading one to its end could take forever.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes
    request_fields: tuple[str, ...]


def _request_fields(request: httpx.Request) -> tuple[str, ...]:
    """Top-level field names of a JSON request body (to tell a plain from a signed app login)."""
    if "json" not in request.headers.get("content-type", ""):
        return ()
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return ()
    return tuple(sorted(body)) if isinstance(body, dict) else ()


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if "text/event-stream" in request.headers.get("accept", ""):
            return response
        try:
            raw = response.read()
        finally:
            response.close()
        replay = httpx.Response(
            response.status_code, headers=response.headers, content=raw, extensions=response.extensions
        )
        try:
            decoded = httpx.Response(response.status_code, headers=response.headers, content=raw).content
        except httpx.DecodingError:
            decoded = raw
        exchange = Exchange(
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=decoded,
            request_fields=_request_fields(request),
        )
        with self._lock:
            self.exchanges.append(exchange)
        return replay

    def mark(self) -> int:
        with self._lock:
            return len(self.exchanges)

    def since(self, mark: int) -> list[Exchange]:
        with self._lock:
            return self.exchanges[mark:]

    def close(self) -> None:
        self._inner.close()
