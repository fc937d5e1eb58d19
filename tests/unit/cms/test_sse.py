"""The progress stream: frames parsed, terminal stops, stalls, drops and garbage become errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.unit.cms.fakes import FakeClock, FakeCms, drip, failure, holder, make_client
from webapp.cms import errors
from webapp.cms.sse import MAX_EVENT_BYTES, StreamGuard, iter_events

PROGRESS = "GET /app/partners/1/cardholders/batch/bat_01/progress"


def frame(status: str, processed: int, **extra: Any) -> bytes:
    body = {
        "batchId": "bat_01",
        "type": "cardholders",
        "status": status,
        "total": 3,
        "processed": processed,
        "succeeded": processed,
        "failed": 0,
        "errors": [],
        **extra,
    }
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


def _stream(chunks: list[bytes], clock: FakeClock, step: float = 0.5, **kwargs: Any) -> list[Any]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, stream=drip(chunks, clock, step)
        )

    fake = FakeCms(routes={PROGRESS: answer})
    client = make_client(fake, clock=clock)
    frames = list(client.uploads.progress(holder(), 1, "bat_01", **kwargs))
    assert seen[0].headers["accept"] == "text/event-stream"
    return frames


def test_frames_until_the_terminal_one() -> None:
    chunks = [
        b": keep-alive\n\n",
        frame("queued", 0),
        frame("processing", 1)[:20],
        frame("processing", 1)[20:],
        frame("completed", 3),
        frame("processing", 99),
    ]
    frames = _stream(chunks, FakeClock())
    assert [f.status for f in frames] == ["queued", "processing", "completed"]
    assert frames[-1].processed == 3


def _events(chunks: list[bytes]) -> list[str]:
    """The data of every event httpx-sse dispatches from these chunks, behind the guard."""
    guard = StreamGuard(chunks, FakeClock(), idle_timeout=30.0, max_duration=600.0)
    return [event.data for event in iter_events(guard)]


def test_crlf_and_multiline_data() -> None:
    chunks = [b'data: {"a":\r\ndata: 1}\r', b"\n\r\n", b"id: 4\nevent: x\ndata: 2\n\n", b"id: 5\n\n"]
    assert _events(chunks) == ['{"a":\n1}', "2"]


def test_utf8_split_across_chunks_is_kept() -> None:
    text = 'data: {"name": "Peña"}\n\n'.encode()
    cut = text.index(b"\xc3") + 1
    assert _events([text[:cut], text[cut:]]) == ['{"name": "Peña"}']


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(errors.BadUpstreamResponse, match="not UTF-8"):
        _events([b'data: {"name": "Pe\xf1a"}\n\n'])


def test_stream_ending_inside_a_character_is_refused() -> None:
    with pytest.raises(errors.BadUpstreamResponse, match="not UTF-8"):
        _events([b"data: 1\n\n", b"data: \xc3"])


def test_a_declared_charset_does_not_change_the_decoding() -> None:
    refused = {"row": 2, "field": "lastName", "code": "8001", "message": "Peña no es válido"}
    fake = FakeCms(
        routes={
            PROGRESS: lambda r: httpx.Response(
                200,
                headers={"Content-Type": "text/event-stream; charset=iso-8859-1"},
                content=frame("completed", 3, errors=[refused]),
            )
        }
    )
    frames = list(make_client(fake).uploads.progress(holder(), 1, "bat_01"))
    assert [e.message for e in frames[0].errors] == ["Peña no es válido"]


def test_garbage_frame_is_a_bad_response() -> None:
    with pytest.raises(errors.BadUpstreamResponse):
        _stream([frame("processing", 1), b"data: {not json\n\n"], FakeClock())


def test_stream_ending_before_terminal_is_unavailable() -> None:
    with pytest.raises(errors.UpstreamUnavailable):
        _stream([frame("processing", 1)], FakeClock())


def test_stream_cut_mid_frame_is_unavailable() -> None:
    with pytest.raises(errors.UpstreamUnavailable):
        _stream([frame("processing", 1), b'data: {"batchId"'], FakeClock())


def test_only_keepalives_for_too_long_is_a_timeout() -> None:
    clock = FakeClock()
    with pytest.raises(errors.UpstreamTimeout):
        _stream([frame("processing", 1)] + [b": ping\n"] * 100, clock, step=1.0, idle_timeout=30.0)


def test_endless_stream_stops_at_max_duration() -> None:
    clock = FakeClock()
    with pytest.raises(errors.UpstreamTimeout):
        _stream([frame("processing", 1)] * 1000, clock, step=1.0, max_duration=60.0)


def test_read_timeout_while_streaming_is_a_timeout() -> None:
    class Stall(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield frame("processing", 1)
            raise httpx.ReadTimeout("idle")

    fake = FakeCms(routes={PROGRESS: lambda r: httpx.Response(200, stream=Stall())})
    with pytest.raises(errors.UpstreamTimeout):
        list(make_client(fake).uploads.progress(holder(), 1, "bat_01"))


def test_oversized_frame_is_refused() -> None:
    with pytest.raises(errors.BadUpstreamResponse, match="too large"):
        _events([b"data: " + b"x" * 300_000 + b"\n\n"])


def test_an_endless_line_in_small_chunks_is_refused() -> None:
    with pytest.raises(errors.BadUpstreamResponse, match="too large"):
        _events([b"data: "] + [b"x" * 1000] * 300)


def test_the_size_cap_counts_from_the_last_frame() -> None:
    small = b"data: " + b"x" * 1000 + b"\n\n"
    count = 2 * MAX_EVENT_BYTES // len(small)
    assert len(_events([small] * count)) == count


def test_error_status_on_open_maps_like_any_call() -> None:
    fake = FakeCms(routes={PROGRESS: failure(404, "8017", "Batch not found.")})
    with pytest.raises(errors.NotFound):
        list(make_client(fake).uploads.progress(holder(), 1, "bat_01"))
