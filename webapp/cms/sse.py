"""Consuming the bulk-upload progress stream (#16): `data: {json}` frames, bounded in time and size.

Own line parser rather than a library so that every limit is ours: a frame larger than the cap, a stream that
sends only keep-alive comments, or one that never ends are all cut off deterministically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import httpx

from webapp.cms import errors
from webapp.cms.models import ProgressFrame

MAX_FRAME_BYTES = 256_000


class SseFrame:
    """One dispatched event: the joined `data:` lines (event names and ids are not used by this API)."""

    __slots__ = ("data",)

    def __init__(self, data: str) -> None:
        self.data = data


def iter_events(chunks: Iterable[bytes], max_frame_bytes: int = MAX_FRAME_BYTES) -> Iterator[SseFrame | None]:
    """A frame per blank-line-terminated event, and None for every other line (so callers watch time)."""
    buffer = b""
    data_lines: list[str] = []
    size = 0
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > max_frame_bytes:
            raise errors.BadUpstreamResponse("A progress frame is too large.")
        while True:
            cut = _line_end(buffer)
            if cut is None:
                break
            end, skip = cut
            raw_line, buffer = buffer[:end], buffer[end + skip :]
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                raise errors.BadUpstreamResponse("A progress frame is not UTF-8.") from None
            if line == "":
                if data_lines:
                    yield SseFrame("\n".join(data_lines))
                data_lines, size = [], 0
                continue
            if line.startswith("data:"):
                value = line[5:]
                data_lines.append(value[1:] if value.startswith(" ") else value)
                size += len(value)
                if size > max_frame_bytes:
                    raise errors.BadUpstreamResponse("A progress frame is too large.")
            yield None  # comments (":"), event:, id:, retry: and unknown fields carry nothing for us
    if data_lines:
        # A final event without its blank line was cut off mid-way: do not trust it.
        raise errors.UpstreamUnavailable("The progress stream ended in the middle of a frame.")


def _line_end(buffer: bytes) -> tuple[int, int] | None:
    """Position and width of the first line terminator (CRLF, LF or CR), if a full one has arrived."""
    lf = buffer.find(b"\n")
    cr = buffer.find(b"\r")
    if cr == -1 and lf == -1:
        return None
    if cr != -1 and (lf == -1 or cr < lf):
        if cr + 1 == len(buffer):
            return None  # wait: it may be the first half of CRLF
        return cr, 2 if buffer[cr + 1 : cr + 2] == b"\n" else 1
    return lf, 1


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
    started = last_frame = clock()
    try:
        for event in iter_events(response.iter_bytes()):
            now = clock()
            if event is None:
                if now - last_frame > idle_timeout:
                    raise errors.UpstreamTimeout("No progress from the CMS for too long.")
            else:
                frame = parse_frame(event.data)
                last_frame = now
                yield frame
                if frame.terminal:
                    return
            if now - started > max_duration:
                raise errors.UpstreamTimeout("The progress stream ran longer than allowed.")
    except httpx.TimeoutException as exc:
        raise errors.UpstreamTimeout("No progress from the CMS for too long.") from exc
    except httpx.TransportError as exc:
        raise errors.UpstreamTimeout("The progress stream broke before the batch finished.") from exc
    raise errors.UpstreamUnavailable("The progress stream ended before the batch finished.")
