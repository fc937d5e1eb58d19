"""Bulk upload through the client: submit, SSE progress to the terminal frame, batch and rows, SSE faults."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import xlsxwriter

from tests.integration.cms.conftest import ANA, SessionHolder
from tests.support.sandbox import SandboxHandle
from webapp.cms import CmsClient, errors

COLUMNS = [
    "name", "lastName", "address", "countryOfBirth", "dateOfBirth", "maritalStatus", "gender", "phoneNumber",
    "email", "documentType", "documentNumber", "cardId",
]  # fmt: skip


def _xlsx(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate([COLUMNS, *rows]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def _row(card_id: int, *, email: str | None = None, dob: str = "1988-07-21") -> list[Any]:
    n = uuid.uuid4().int
    return [
        "Pedro", "Tzul", "4a Calle 3-15, Zona 1", "GT", dob, "casado", "M", f"5024{n % 10**7:07d}",
        email or f"p.{uuid.uuid4().hex[:8]}@example.com", "DPI", f"{n % 10**13:013d}", card_id,
    ]  # fmt: skip


@contextlib.contextmanager
def batch_pace(sandbox: SandboxHandle, rows_per_second: int) -> Iterator[None]:
    """Set the sandbox's processing pace for one test and put the previous value back."""
    knob = "SANDBOX_BATCH_ROWS_PER_SECOND"
    answer = sandbox.control("POST", "/config", json={knob: rows_per_second})
    try:
        yield
    finally:
        sandbox.control("POST", "/config", json={knob: answer["previous"][knob]})


@pytest.fixture
def fast_batches(sandbox: SandboxHandle) -> Iterator[None]:
    with batch_pace(sandbox, 1000):
        yield


def _submit(cms: CmsClient, holder: SessionHolder, rows: int = 3, bad_rows: int = 1) -> str:
    free = cms.cards.free(holder, 1, page=3, limit=rows + bad_rows).items
    good = [_row(card.card_id) for card in free[:rows]]
    bad = [_row(card.card_id, dob="1990-13-45") for card in free[rows : rows + bad_rows]]
    return cms.uploads.submit(holder, 1, "users", "altas.xlsx", _xlsx(good + bad), str(uuid.uuid4()))


@pytest.mark.usefixtures("fast_batches")
def test_upload_progress_batch_and_rows(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    batch_id = _submit(cms, holder, rows=3, bad_rows=1)
    assert batch_id.startswith("bat_")
    frames = list(cms.uploads.progress(holder, 1, batch_id, idle_timeout=10, max_duration=60))
    assert frames
    last = frames[-1]
    assert last.terminal
    assert (last.total, last.processed, last.succeeded, last.failed) == (4, 4, 3, 1)
    row_errors = [e for f in frames for e in f.errors]
    assert any(e.field == "dateOfBirth" for e in row_errors)

    batch = cms.uploads.batch(holder, 1, batch_id)
    assert batch.status == "completed"
    assert batch.succeeded == 3
    rows = cms.uploads.results(holder, 1, batch_id, page=1, limit=10)
    assert rows.total == 4
    failed = [r for r in rows.items if r.status == "failed"]
    assert len(failed) == 1
    assert failed[0].errors[0].field == "dateOfBirth"
    assert all(r.cardholder_id for r in rows.items if r.status == "created")


def test_csv_is_refused_with_the_upstream_code(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    with pytest.raises(errors.ValidationFailed) as info:
        cms.uploads.submit(holder, 1, "users", "altas.csv", b"name,lastName\nA,B\n", str(uuid.uuid4()))
    assert info.value.code == "8015"


def test_upload_needs_a_fresh_otp_or_an_inline_code(
    make_cms: Callable[..., CmsClient], sign_in: Callable[..., SessionHolder], sandbox: SandboxHandle
) -> None:
    eager = make_cms(refresh_margin=100_000)  # refreshes before each call: never elevated
    holder = sign_in(ANA, client=eager)
    free = eager.cards.free(holder, 1, page=4, limit=1).items
    content = _xlsx([_row(free[0].card_id)])
    with pytest.raises(errors.OtpRequired):
        eager.uploads.submit(holder, 1, "users", "altas.xlsx", content, str(uuid.uuid4()))
    eager.auth.request_otp(holder, ANA, "elevation")
    batch_id = eager.uploads.submit(
        holder, 1, "users", "altas.xlsx", content, str(uuid.uuid4()), otp=sandbox.latest_otp(ANA)
    )
    assert batch_id.startswith("bat_")


@pytest.mark.parametrize(
    ("mode", "params", "error"),
    [
        ("sse_garbage", {"after": 1}, errors.BadUpstreamResponse),
        ("sse_drop", {"after": 1}, errors.UpstreamUnavailable),
        ("sse_stall", {"seconds": 5}, errors.UpstreamTimeout),
    ],
)
def test_progress_stream_faults(
    cms: CmsClient,
    sign_in: Callable[..., SessionHolder],
    clean_faults: SandboxHandle,
    mode: str,
    params: dict[str, Any],
    error: type[errors.CmsError],
) -> None:
    holder = sign_in(ANA)
    with batch_pace(clean_faults, 1):  # slow enough that the stream is still open when the fault hits
        batch_id = _submit(cms, holder, rows=2, bad_rows=0)
        clean_faults.set_fault("GET /app/partners/*/cardholders/batch/*/progress", mode, times=1, **params)
        with pytest.raises(error):
            list(cms.uploads.progress(holder, 1, batch_id, idle_timeout=1.0, max_duration=20))
