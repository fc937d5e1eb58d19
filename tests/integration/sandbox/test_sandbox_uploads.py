"""Bulk uploads against the sandbox over real HTTP: file checks, asynchronous processing with per-row errors,
the SSE progress stream (parsed from the raw bytes) and its injected faults."""

from __future__ import annotations

import io
import itertools
import json
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import xlsxwriter

from tests.integration.sandbox.test_sandbox_cardholders import FreeCards, cardholder_body, error_code
from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import Operator, new_operator

COLUMNS = [
    "name", "lastName", "address", "countryOfBirth", "dateOfBirth", "maritalStatus", "gender", "phoneNumber",
    "email", "documentType", "documentNumber", "cardId",
]  # fmt: skip
CARD_COLUMNS = ["documentType", "documentNumber", "cardId"]
BATCH_ID = re.compile(r"bat_[0-9A-HJKMNP-TV-Z]{26}")
DEFAULT_RATE = 200


def workbook(rows: list[list[Any]], header: list[str] | None = None, *, header_row: int = 0) -> bytes:
    """A real .xlsx built with xlsxwriter; `header_row` leaves blank rows above the header."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Tarjetahabientes")
    sheet.write_row(header_row, 0, COLUMNS if header is None else header)
    for offset, row in enumerate(rows, start=header_row + 1):
        sheet.write_row(offset, 0, row)
    book.add_worksheet("Notas").write(0, 0, "ignored")
    book.close()
    return buffer.getvalue()


def as_row(body: dict[str, Any], columns: list[str] = COLUMNS) -> list[Any]:
    return [body[column] for column in columns]


@dataclass
class Frame:
    raw: str
    at: float

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.raw))


def read_stream(
    op: Operator, batch_id: str, *, read_timeout: float = 10
) -> tuple[httpx.Response, list[str], list[Frame]]:
    """Open the progress stream and read it to its end: the response, every raw line, the data frames."""
    lines: list[str] = []
    frames: list[Frame] = []
    timeout = httpx.Timeout(10, read=read_timeout)
    url = f"/app/partners/1/cardholders/batch/{batch_id}/progress"
    with op.http.stream("GET", url, headers={"Accept": "text/event-stream"}, timeout=timeout) as resp:
        if resp.status_code != 200:
            resp.read()
            return resp, lines, frames
        for line in resp.iter_lines():
            lines.append(line)
            if line.startswith("data: "):
                frames.append(Frame(line[len("data: ") :], time.monotonic()))
    return resp, lines, frames


def upload(
    op: Operator, content: bytes, *, field: str = "users", kind: str = "cardholders", **kw: Any
) -> httpx.Response:
    path = "/app/partners/1/cardholders/upload" if kind == "cardholders" else "/app/partners/1/cards/upload"
    files = {
        field: ("lote.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }
    return op.http.post(path, files=files, **kw)


@pytest.fixture(scope="module")
def uploader(sandbox: SandboxHandle) -> Iterator[Operator]:
    """Bulk rights on partners 1 and 2; not subject to OTP elevation, so uploads need no code."""
    perms = ["bulk-create:create", "cardholders:*", "cards-admin:detail"]
    op = new_operator(
        sandbox, f"bulk.{uuid.uuid4().hex[:8]}@ops.example", {1: perms, 2: perms}, otp_elevation=False
    )
    yield op
    op.close()


@pytest.fixture(scope="module")
def free_card(uploader: Operator) -> FreeCards:
    return FreeCards(uploader, 1)


@pytest.fixture
def rows_per_second(sandbox: SandboxHandle) -> Iterator[Any]:
    """Set the worker's pace for one test and put the default back afterwards."""

    def set_rate(rate: int) -> None:
        sandbox.set_config(SANDBOX_BATCH_ROWS_PER_SECOND=rate)

    yield set_rate
    sandbox.set_config(SANDBOX_BATCH_ROWS_PER_SECOND=DEFAULT_RATE)


# -- processing ----------------------------------------------------------------------------------------------


def test_rows_are_processed_with_per_row_errors(
    uploader: Operator, free_card: FreeCards, rows_per_second: Any
) -> None:
    rows_per_second(5000)
    good = [cardholder_body(free_card()) for _ in range(3)]
    broken = cardholder_body(free_card(), email="sin-arroba", gender="X")
    twin = cardholder_body(free_card(), email=good[1]["email"])
    # sheet rows: header 1, then 2..6
    content = workbook([as_row(good[0]), as_row(good[1]), as_row(broken), as_row(good[2]), as_row(twin)])
    resp = upload(uploader, content)
    assert resp.status_code == 200, resp.text
    batch_id = resp.json()["data"]["id"]
    assert BATCH_ID.fullmatch(batch_id)

    stream, lines, frames = read_stream(uploader, batch_id)
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert frames
    assert not [line for line in lines if line and not line.startswith("data: ")]  # no event:, id:, retry:
    payloads = [frame.data for frame in frames]
    assert all(next(iter(p)) == "batchId" for p in payloads)
    final = payloads[-1]
    assert {k: final[k] for k in ("status", "type", "total", "processed", "succeeded", "failed")} == {
        "status": "completed", "type": "cardholders", "total": 5, "processed": 5, "succeeded": 3, "failed": 2,
    }  # fmt: skip
    assert all(p["status"] not in ("completed", "failed") for p in payloads[:-1])
    errors = [e for p in payloads for e in p["errors"]]
    assert {(e["row"], e["field"], e["code"]) for e in errors} == {
        (4, "email", "7000"), (4, "gender", "7000"), (6, "email", "8013"),
    }  # fmt: skip

    results = uploader.http.get(f"/app/partners/1/batches/{batch_id}/results").json()["data"]
    assert [(r["row"], r["status"]) for r in results["items"]] == [
        (2, "created"), (3, "created"), (4, "failed"), (5, "created"), (6, "failed"),
    ]  # fmt: skip
    created_ids = {r["cardholderId"] for r in results["items"] if r["status"] == "created"}
    for body in good:
        found = uploader.http.get(
            "/app/partners/1/cardholders", params={"searchText": body["documentNumber"]}
        )
        items = found.json()["data"]["items"]
        assert [i["cardholderId"] in created_ids for i in items] == [True]
    status = uploader.http.get(f"/app/partners/1/batches/{batch_id}").json()["data"]
    assert (status["status"], status["succeeded"], status["failed"]) == ("completed", 3, 2)
    assert status["createdBy"]["email"] == uploader.email
    assert status["fileName"] == "lote.xlsx"
    assert status["finishedAt"]


def test_frames_arrive_at_least_every_second_while_processing(
    uploader: Operator, free_card: FreeCards, rows_per_second: Any
) -> None:
    rows_per_second(4)
    content = workbook([as_row(cardholder_body(free_card())) for _ in range(8)])
    batch_id = upload(uploader, content).json()["data"]["id"]
    _, _, frames = read_stream(uploader, batch_id)
    processed = [frame.data["processed"] for frame in frames]
    assert processed == sorted(processed)
    assert len(frames) >= 3
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(frames)]
    assert max(gaps) < 1.5
    assert frames[-1].data["status"] == "completed"
    assert frames[-1].data["succeeded"] == 8


def test_reopened_stream_starts_with_current_totals(
    uploader: Operator, free_card: FreeCards, rows_per_second: Any
) -> None:
    rows_per_second(5000)
    content = workbook([as_row(cardholder_body(free_card())), as_row(cardholder_body(0))])
    batch_id = upload(uploader, content).json()["data"]["id"]
    read_stream(uploader, batch_id)
    _, _, frames = read_stream(uploader, batch_id)
    assert len(frames) == 1
    data = frames[0].data
    assert (data["status"], data["processed"], data["succeeded"], data["failed"]) == ("completed", 2, 1, 1)
    assert [(e["row"], e["field"]) for e in data["errors"]] == [(3, "cardId")]


def test_a_batch_where_every_row_fails_ends_failed(uploader: Operator, rows_per_second: Any) -> None:
    rows_per_second(5000)
    batch_id = upload(uploader, workbook([as_row(cardholder_body(0)) for _ in range(3)])).json()["data"]["id"]
    _, _, frames = read_stream(uploader, batch_id)
    assert (frames[-1].data["status"], frames[-1].data["failed"]) == ("failed", 3)


def test_header_may_sit_below_blank_rows_and_columns_in_any_order(
    uploader: Operator, free_card: FreeCards, rows_per_second: Any
) -> None:
    rows_per_second(5000)
    header = list(reversed(COLUMNS))
    body = cardholder_body(free_card())
    content = workbook([as_row(body, header), [], as_row(cardholder_body(-1), header)], header, header_row=2)
    batch_id = upload(uploader, content).json()["data"]["id"]
    read_stream(uploader, batch_id)
    results = uploader.http.get(f"/app/partners/1/batches/{batch_id}/results").json()["data"]["items"]
    assert [(r["row"], r["status"]) for r in results] == [(4, "created"), (6, "failed")]


def test_card_upload_gives_free_cards_to_existing_cardholders(
    uploader: Operator, free_card: FreeCards, rows_per_second: Any
) -> None:
    rows_per_second(5000)
    holder = uploader.http.post("/app/partners/1/cardholders", json=cardholder_body(free_card())).json()[
        "data"
    ]
    taken = holder["cards"][0]["cardId"]
    new_card = free_card()
    rows = [
        ["DPI", holder["documentNumber"], new_card],
        ["DPI", "1" * 13, free_card()],
        ["DPI", holder["documentNumber"], taken],
        ["NIT", holder["documentNumber"], free_card()],
    ]
    resp = upload(uploader, workbook(rows, CARD_COLUMNS), field="cards", kind="cards")
    assert resp.status_code == 200, resp.text
    _, _, frames = read_stream(uploader, resp.json()["data"]["id"])
    final = frames[-1].data
    assert (final["type"], final["status"], final["succeeded"], final["failed"]) == (
        "cards",
        "completed",
        1,
        3,
    )
    errors = {(e["row"], e["code"]) for f in frames for e in f.data["errors"]}
    assert errors == {(3, "8012"), (4, "8014"), (5, "7000")}
    cards = uploader.http.get(f"/app/partners/1/cardholders/{holder['cardholderId']}/cards").json()["data"]
    assert sorted(c["cardId"] for c in cards) == sorted([taken, new_card])


# -- what the upload accepts ---------------------------------------------------------------------------------


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("content", "message_part"),
    [
        ("name,lastName\nAna,Ajú\n".encode(), "Excel"),
        (PNG, "Excel"),
        (_zip(["word/document.xml", "[Content_Types].xml"]), "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "cannot be read"),
        (workbook([], COLUMNS[:-1]), "cardId"),
        (workbook([], [*COLUMNS, "notes"]), "notes"),
        (workbook([]), "no data rows"),
    ],
    ids=["csv", "png", "docx-like-zip", "broken-xls", "missing-column", "unknown-column", "header-only"],
)
def test_bad_files_are_refused(uploader: Operator, content: bytes, message_part: str) -> None:
    resp = upload(uploader, content)
    assert resp.status_code == 400
    item = resp.json()["errors"][0]
    assert (item["code"], item["field"]) == ("8015", "users")
    assert message_part in item["message"]


@pytest.mark.parametrize("kind", ["cardholders", "cards"])
def test_a_malformed_inline_otp_is_refused_although_the_uploader_needs_none(
    uploader: Operator, kind: str
) -> None:
    columns = COLUMNS if kind == "cardholders" else ["documentType", "documentNumber", "cardId"]
    content = workbook([["x"] * len(columns)], columns)
    field = "users" if kind == "cardholders" else "cards"

    resp = upload(uploader, content, field=field, kind=kind, data={"otp": "12345"})

    assert resp.status_code == 400
    assert [(e["code"], e["field"]) for e in resp.json()["errors"]] == [("8006", "otp")]


def test_the_file_must_come_in_the_documented_field(uploader: Operator) -> None:
    content = workbook([as_row(cardholder_body(1))])
    resp = upload(uploader, content, field="file")
    assert resp.status_code == 400
    assert (resp.json()["errors"][0]["code"], resp.json()["errors"][0]["field"]) == ("8015", "users")
    cards = upload(uploader, content, field="users", kind="cards")
    assert (cards.status_code, cards.json()["errors"][0]["field"]) == (400, "cards")


@pytest.mark.parametrize("size", [16 * 1024 * 1024 + 1, 17 * 1024 * 1024])
def test_files_over_16_mb_are_refused(uploader: Operator, size: int) -> None:
    content = b"PK\x03\x04" + b"\x00" * (size - 4)
    resp = upload(uploader, content)
    assert resp.status_code == 413
    assert error_code(resp) == "8016"


def test_subject_operator_needs_an_otp_to_upload(sandbox: SandboxHandle, free_card: FreeCards) -> None:
    op = new_operator(sandbox, f"bulk.otp.{uuid.uuid4().hex[:8]}@ops.example", {1: ["bulk-create:create"]},
                      elevated=False)  # fmt: skip
    content = workbook([as_row(cardholder_body(free_card()))])
    refused = upload(op, content)
    assert (refused.status_code, error_code(refused)) == (403, "8005")
    accepted = upload(op, content, data={"otp": op.elevation_code()})
    assert accepted.status_code == 200
    op.close()


def test_permission_tenancy_and_unknown_batches(sandbox: SandboxHandle, uploader: Operator) -> None:
    content = workbook([as_row(cardholder_body(1))])
    lacking = new_operator(sandbox, f"nobulk.{uuid.uuid4().hex[:8]}@ops.example", {1: ["cardholders:*"]})
    assert error_code(upload(lacking, content)) == "8011"
    lacking.close()
    elsewhere = uploader.http.post("/app/partners/3/cardholders/upload", files={"users": ("a.xlsx", content)})
    assert (elsewhere.status_code, error_code(elsewhere)) == (403, "8010")
    batch_id = upload(uploader, workbook([as_row(cardholder_body(0))])).json()["data"]["id"]
    for path in (
        f"/app/partners/2/batches/{batch_id}",
        f"/app/partners/2/cardholders/batch/{batch_id}/progress",
        "/app/partners/1/batches/bat_00000000000000000000000000",
    ):
        resp = uploader.http.get(path)
        assert (resp.status_code, error_code(resp)) == (404, "8017")


def test_upload_is_idempotent_per_key(uploader: Operator) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    content = workbook([as_row(cardholder_body(0))])
    first = upload(uploader, content, headers=key)
    replay = upload(uploader, content, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["data"]["id"] == first.json()["data"]["id"]
    other = upload(uploader, workbook([as_row(cardholder_body(0))]), headers=key)
    assert (other.status_code, error_code(other)) == (409, "8022")


# -- injected stream faults ----------------------------------------------------------------------------------


@pytest.fixture
def slow_batch(uploader: Operator, free_card: FreeCards, rows_per_second: Any) -> str:
    """A batch that takes several seconds, so a stream fault hits it mid-way."""
    rows_per_second(2)
    content = workbook([as_row(cardholder_body(free_card())) for _ in range(12)])
    return str(upload(uploader, content).json()["data"]["id"])


def test_sse_drop_closes_before_the_terminal_frame(
    clean_faults: SandboxHandle, uploader: Operator, slow_batch: str, rows_per_second: Any
) -> None:
    clean_faults.set_fault("GET */progress", "sse_drop", times=1)
    _, _, frames = read_stream(uploader, slow_batch)
    assert len(frames) == 1
    assert frames[0].data["status"] in ("queued", "processing")
    rows_per_second(5000)
    _, _, recovered = read_stream(uploader, slow_batch)
    assert recovered[-1].data["status"] == "completed"


def test_sse_garbage_sends_one_frame_that_is_not_json(
    clean_faults: SandboxHandle, uploader: Operator, slow_batch: str, rows_per_second: Any
) -> None:
    clean_faults.set_fault("GET */progress", "sse_garbage", times=1)
    rows_per_second(20)
    _, _, frames = read_stream(uploader, slow_batch)
    broken = []
    for frame in frames:
        try:
            frame.data  # noqa: B018  (parsing is the check)
        except json.JSONDecodeError:
            broken.append(frame.raw)
    assert len(broken) == 1
    assert frames[-1].data["status"] == "completed"


def test_sse_stall_sends_one_frame_then_goes_silent(
    clean_faults: SandboxHandle, uploader: Operator, slow_batch: str
) -> None:
    clean_faults.set_fault("GET */progress", "sse_stall", times=1, seconds=5)
    frames: list[str] = []
    url = f"/app/partners/1/cardholders/batch/{slow_batch}/progress"

    def read_until_silent() -> None:
        with uploader.http.stream("GET", url, timeout=httpx.Timeout(10, read=1.5)) as resp:
            frames.extend(line for line in resp.iter_lines() if line.startswith("data: "))

    with pytest.raises(httpx.ReadTimeout):
        read_until_silent()
    assert len(frames) == 1
    assert json.loads(frames[0][len("data: ") :])["status"] in ("queued", "processing")
