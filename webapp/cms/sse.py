"""Consuming the bulk-upload progress stream (#16): `data: {json}` frames, bounded in time and size.

httpx-sse parses the event stream (lines, CR/LF/CRLF, comments, multi-line `data:`); a small guard in front
of it, on the raw bytes, keeps every limit ours: a stream silent but for keep-alive comments past the idle
timeout, one that never ends, more than `MAX_EVENT_BYTES` without a frame, or bytes that are not UTF-8 are
all cut off deterministically. httpx-sse alone would decode leniently (bad bytes become U+FFFD) and buffer an
endless line without limit, and its comments never reach the caller, so it could not see a keep-alive-only
stream go idle.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
from httpx_sse import EventSource, ServerSentEvent

from webapp.cms import errors
from webapp.cms.models import ProgressFrame

MAX_EVENT_BYTES = 256_000
# The bytes handed to httpx-sse were checked as UTF-8 by the guard; this header only makes httpx decode
# them as UTF-8 whatever charset the upstream declared (the SSE format is UTF-8 only).
_DECODED_AS = {"Content-Type": "text/event-stream; charset=utf-8"}


@dataclass(eq=False)
class StreamGuard:
    """The raw chunks of a stream, passed through only while they stay within the limits.

    Time and size are measured from the last frame (`frame_seen`), checked at every chunk: keep-alive
    comments arrive as chunks too, so a stream that only pings is still timed.
    """

    chunks: Iterable[bytes]
    clock: Callable[[], float]
    idle_timeout: float
    max_duration: float
    max_event_bytes: int = MAX_EVENT_BYTES
    _started: float = field(init=False)
    _last_frame: float = field(init=False)
    _since_frame: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._started = self._last_frame = self.clock()

    def frame_seen(self) -> None:
        self._last_frame = self.clock()
        self._since_frame = 0

    def __iter__(self) -> Iterator[bytes]:
        utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
        for chunk in self.chunks:
            now = self.clock()
            if now - self._last_frame > self.idle_timeout:
                raise errors.UpstreamTimeout("No progress from the CMS for too long.")
            if now - self._started > self.max_duration:
                raise errors.UpstreamTimeout("The progress stream ran longer than allowed.")
            self._since_frame += len(chunk)
            if self._since_frame > self.max_event_bytes:
                raise errors.BadUpstreamResponse("A progress frame is too large.")
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                raise errors.BadUpstreamResponse("A progress frame is not UTF-8.") from None
            yield chunk
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            raise errors.BadUpstreamResponse("A progress frame is not UTF-8.") from None


class _Bytes(httpx.SyncByteStream):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def iter_events(guard: StreamGuard) -> Iterator[ServerSentEvent]:
    """The events that carry data, parsed by httpx-sse from the guarded bytes.

    Events without data (only `id:` or `event:`) are skipped, as the SSE format itself does; a last event
    cut off before its blank line is never dispatched by httpx-sse, so a dropped stream ends without it.
    """
    source = EventSource(httpx.Response(200, headers=_DECODED_AS, stream=_Bytes(guard)))
    for event in source.iter_sse():
        if event.data:
            guard.frame_seen()
            yield event


def parse_frame(data: str) -> ProgressFrame:
    try:
        payload = json.loads(data, parse_float=Decimal)
    except ValueError:
        raise errors.BadUpstreamResponse("A progress frame is not JSON.") from None
    return ProgressFrame.from_api(payload)


def progress_frames(
    response: httpx.Response,
    clock: Callable[[], float],
    idle_timeout: float,
    max_duration: float,
) -> Iterator[ProgressFrame]:
    """Frames until a terminal status; UpstreamTimeout on silence or overrun, errors on garbage/early end."""
    guard = StreamGuard(response.iter_bytes(), clock, idle_timeout, max_duration)
    try:
        for event in iter_events(guard):
            frame = parse_frame(event.data)
            yield frame
            if frame.terminal:
                return
    except httpx.TimeoutException as exc:
        raise errors.UpstreamTimeout("No progress from the CMS for too long.") from exc
    except httpx.TransportError as exc:
        raise errors.UpstreamTimeout("The progress stream broke before the batch finished.") from exc
    raise errors.UpstreamUnavailable("The progress stream ended before the batch finished.")
