"""The progress stream: frames parsed, terminal stops, stalls, drops and garbage become errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.unit.cms.fakes import FakeClock, FakeCms, drip, failure, holder, make_client
from webapp.cms import errors
from webapp.cms.sse import iter_events

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
    return b"data: " + json.dumps(body).encode() + b"\n\n"


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


def test_crlf_and_multiline_data() -> None:
    events = list(iter_events([b'data: {"a":\r\ndata: 1}\r\n\r\n', b"id: 4\nevent: x\ndata: 2\n\n"]))
    data = [e.data for e in events if e is not None]
    assert data == ['{"a":\n1}', "2"]


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
        list(iter_events([b"data: " + b"x" * 300_000 + b"\n\n"]))


def test_error_status_on_open_maps_like_any_call() -> None:
    fake = FakeCms(routes={PROGRESS: failure(404, "8017", "Batch not found.")})
    with pytest.raises(errors.NotFound):
        list(make_client(fake).uploads.progress(holder(), 1, "bat_01"))
