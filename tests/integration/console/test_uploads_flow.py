"""Bulk uploads through the console against the sandbox: file → dry run → report → submit once → progress.

The helpers at the top are shared by the other upload test modules.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from tests.integration.console.test_auth_login import csrf_from
from tests.support import sandbox_login
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR
from tests.support.job_files import job_file
from tests.support.sandbox import SandboxHandle
from webapp.cardholders.vocabulary import FIELDS

PARTNER = 3  # the partner other suites touch least, so free cards stay free for these tests
UPLOADER = ["bulk-create:create", "cardholders:list"]
_UPLOAD_ID = re.compile(r"/uploads/(\d+)$")


# -- helpers shared with the other upload modules ------------------------------------------------------


CONSOLE = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    UPLOADS_PROGRESS_IDLE_SECONDS=2,
    jobs_worker=True,  # a sent upload's follow is a background job
    **STEP_UP_FOR_AN_HOUR,
)
pytestmark = CONSOLE


def person(index: int, card_id: int | str, **changes: str) -> dict[str, str]:
    """A valid cardholder row whose document, e-mail and phone are unique to this run and `index`."""
    n = uuid.uuid4().int
    row = {
        "name": "Ana",
        "lastName": "Núñez",
        "address": "5a Avenida 10-20, Zona 1",
        "countryOfBirth": "GT",
        "dateOfBirth": "1991-03-14",
        "maritalStatus": "soltero",
        "gender": "F",
        "phoneNumber": f"5024{n % 10**7:07d}",
        "email": f"bulk.{n % 10**12:012d}.{index}@example.com",
        "documentType": "DPI",
        "documentNumber": f"{(n // 7 + index) % 10**13:013d}",
        "cardId": str(card_id),
    }
    row.update(changes)
    return row


def csv_file(
    rows: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    names = list(header or FIELDS)
    writer.writerow(names)
    for row in rows:
        writer.writerow([row[name] for name in FIELDS])
    return text.getvalue().encode(encoding)


def free_cards(sandbox: SandboxHandle, count: int) -> list[int]:
    """Free cards of the partner, taken from a random spot of the pool so parallel tests rarely collide."""
    admin = sandbox_login.operator(sandbox, "diego.admin@demo.migo")
    try:
        page = 1 + uuid.uuid4().int % 8
        reply = admin.http.get(
            f"/app/partners/{PARTNER}/cards", params={"assigned": "false", "page": page, "limit": 40}
        )
        items = reply.json()["data"]["items"]
        if len(items) < count:
            reply = admin.http.get(
                f"/app/partners/{PARTNER}/cards", params={"assigned": "false", "limit": 100}
            )
            items = reply.json()["data"]["items"]
    finally:
        admin.close()
    ids = [int(item["cardId"]) for item in items]
    start = uuid.uuid4().int % max(1, len(ids) - count)
    return ids[start : start + count]


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return csrf_from(page.get_data(as_text=True))


def post_file(
    client: FlaskClient, content: bytes, name: str = "altas.csv", kind: str = "users", **extra: str
) -> TestResponse:
    path = f"/p/{PARTNER}/uploads/new"
    data: dict[str, Any] = {"csrf_token": csrf(client, path), "kind": kind, **extra}
    data["file"] = (io.BytesIO(content), name)
    return client.post(path, data=data, content_type="multipart/form-data")


def upload_id_of(resp: TestResponse) -> int:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    found = _UPLOAD_ID.search(resp.headers["Location"])
    assert found, resp.headers["Location"]
    return int(found.group(1))


def detail_url(upload_id: int) -> str:
    return f"/p/{PARTNER}/uploads/{upload_id}"


def counts(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def send(client: FlaskClient, upload_id: int, policy: str = "valid_only") -> TestResponse:
    token = csrf(client, detail_url(upload_id))
    return client.post(f"{detail_url(upload_id)}/submit", data={"csrf_token": token, "policy": policy})


def wait_until_done(client: FlaskClient, upload_id: int, seconds: float = 30) -> str:
    """Poll the way the browser does until the report is ready; answers the final page."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        polled = client.get(
            f"{detail_url(upload_id)}/progress", headers={"HX-Request": "true", "X-Background": "1"}
        )
        assert polled.status_code == 200
        if polled.headers.get("HX-Redirect"):
            page = client.get(detail_url(upload_id))
            return page.get_data(as_text=True)
        time.sleep(0.3)
    raise AssertionError("the upload did not finish in time")


@contextlib.contextmanager
def batch_pace(sandbox: SandboxHandle, rows_per_second: float) -> Iterator[None]:
    knob = "SANDBOX_BATCH_ROWS_PER_SECOND"
    answer = sandbox.control("POST", "/config", json={knob: rows_per_second})
    try:
        yield
    finally:
        sandbox.control("POST", "/config", json={knob: answer["previous"][knob]})


# -- tests ----------------------------------------------------------------------------------------------


def test_messy_file_shows_each_wrong_cell_masked_and_the_report_can_be_fixed(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    rows = [person(i, 900000 + i) for i in range(6)]
    rows[1]["dateOfBirth"] = "14/03/1991"
    rows[2]["name"] = '=HYPERLINK("http://evil")'
    rows[3]["email"] = rows[0]["email"].upper()  # duplicate inside the file
    rows[4]["phoneNumber"] = "+502 3000-1234"  # fine: notation, not a formula
    content = csv_file(rows, delimiter=";", encoding="cp1252")
    upload_id = upload_id_of(post_file(client, content, "altas;excel.csv"))
    page = client.get(detail_url(upload_id))
    html = page.get_data(as_text=True)
    assert counts(html) == {"total": 6, "valid": 3, "invalid": 2, "duplicate": 1}
    assert "Use the format YYYY-MM-DD." in html
    assert "Starts with a formula character" in html
    assert "Same value as an earlier row of this file." in html
    assert rows[0]["documentNumber"] not in html
    assert rows[3]["email"] not in html
    assert str(escape(rows[2]["name"])) in html  # names are not masked; only keys are
    report = job_file(console, client, f"{detail_url(upload_id)}/errors.csv")
    assert report.status_code == 200
    assert report.headers["Content-Disposition"].startswith("attachment;")
    text = report.get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "row"
    assert table[0][-1] == "problems"
    assert [line[0] for line in table[1:]] == ["3", "4", "5"]
    assert table[2][1].startswith("'=HYPERLINK")  # formula-safe
    assert "dateOfBirth" in table[1][-1]
    # Fixed and uploaded again: the report's own apostrophes do not get in the way.
    table[1][FIELDS.index("dateOfBirth") + 1] = "1991-03-14"
    table[2][FIELDS.index("name") + 1] = "Hilda"
    table[3][FIELDS.index("email") + 1] = f"fixed.{uuid.uuid4().hex[:8]}@example.com"
    fixed = io.StringIO()
    csv.writer(fixed).writerows([line[1:-1] for line in table])
    again = upload_id_of(post_file(client, fixed.getvalue().encode(), "fixed.csv"))
    assert counts(client.get(detail_url(again)).get_data(as_text=True)) == {
        "total": 3,
        "valid": 3,
        "invalid": 0,
        "duplicate": 0,
    }


def test_unknown_headers_go_through_the_mapping_step_once(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    spanish = ["Nombre", "Apellido", "Dirección", "País", "Nacimiento", "Estado civil", "Género", "Teléfono",
               "Correo", "Tipo doc", "Documento", "Tarjeta", "Notas"]  # fmt: skip
    rows = [person(i, 910000 + i) for i in range(2)]
    content = csv_file(rows, header=spanish[:12])
    first = post_file(client, content)
    assert first.status_code == 303
    assert "/columns" in first.headers["Location"]
    mapping_page = client.get(first.headers["Location"])
    html = mapping_page.get_data(as_text=True)
    assert 'name="col_lastName"' in html
    chosen = {f"col_{field}": str(index) for index, field in enumerate(FIELDS)}
    chosen["col_cardId"] = "1"  # used twice: refused, nothing lost
    refused = client.post(first.headers["Location"], data={"csrf_token": csrf_from(html), **chosen})
    assert refused.status_code == 422
    assert "already used" in refused.get_data(as_text=True)
    chosen["col_cardId"] = "11"
    done = client.post(first.headers["Location"], data={"csrf_token": csrf_from(html), **chosen})
    upload_id = upload_id_of(done)
    assert counts(client.get(detail_url(upload_id)).get_data(as_text=True))["valid"] == 2
    # The same headers next time: straight to the dry run.
    second = post_file(client, csv_file([person(5, 910010)], header=spanish[:12]))
    upload_id_of(second)


def test_files_that_cannot_be_used_are_refused_with_a_clear_message(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    from tests.unit.files.builders import PNG_BYTES, zip_bomb_xlsx

    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    png = post_file(client, PNG_BYTES, "altas.csv")
    assert png.status_code == 422
    assert "neither a spreadsheet nor text" in png.get_data(as_text=True)
    bomb = post_file(client, zip_bomb_xlsx(), "altas.xlsx")
    assert bomb.status_code == 422
    assert "The workbook is compressed suspiciously well (possible zip bomb)." in bomb.get_data(as_text=True)
    big = post_file(client, b"a" * (16 * 1024 * 1024 + 1), "huge.csv")
    assert big.status_code == 413
    assert "larger than 16 MB" in big.get_data(as_text=True)
    short = post_file(client, b"name,lastName\r\nAna,Perez\r\n", "short.csv", kind="cards")
    assert short.status_code == 422  # fewer columns than fields: named at once, no mapping step
    missing = "Required columns are missing (documentType, documentNumber, cardId)"
    assert missing in short.get_data(as_text=True)
    renamed = post_file(client, b"a,b,c\r\nDPI,1234567890101,42\r\n", "short.csv", kind="cards")
    assert renamed.status_code == 303
    assert "/columns" in renamed.headers["Location"]
    staged = Path(console.instance_path) / "uploads"
    leftovers = [p for p in staged.iterdir() if p.suffix == ".bin"] if staged.is_dir() else []
    assert len(leftovers) == 1  # only the file waiting for its columns; refused ones are gone
    assert oct(leftovers[0].stat().st_mode & 0o777) == "0o600"
    assert "short" not in leftovers[0].name


def test_submit_is_exactly_once_and_progress_reaches_the_end(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    cards = free_cards(sandbox, 4)
    rows = [person(i, card) for i, card in enumerate(cards)]
    rows.append(person(9, cards[0], dateOfBirth="2999-01-01"))  # invalid: left out
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    token = csrf(client, detail_url(upload_id))
    first = client.post(f"{detail_url(upload_id)}/submit", data={"csrf_token": token, "policy": "valid_only"})
    assert first.status_code == 303
    again = client.post(f"{detail_url(upload_id)}/submit", data={"csrf_token": token, "policy": "valid_only"})
    assert again.status_code == 303  # the double click lands on the same upload
    uploads = clean_faults.calls(f"POST /app/partners/{PARTNER}/cardholders/upload")
    assert len(uploads) == 1
    html = wait_until_done(client, upload_id)
    assert 'data-state="done"' in html
    assert "4 / 4 · 100 %" in html
    assert html.count("<tr data-row>") == 4
    outcomes_file = job_file(console, client, f"{detail_url(upload_id)}/results.csv")
    outcomes = outcomes_file.get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(outcomes)))
    assert lines[0] == ["Row", "Status", "Cardholder ID", "Field", "Code", "Message"]
    assert sorted(int(line[0]) for line in lines[1:]) == [2, 3, 4, 5]  # the operator's own row numbers
    history = client.get(f"/p/{PARTNER}/uploads/").get_data(as_text=True)
    assert f"/uploads/{upload_id}" in history
    # The same file once more: everything it holds was already sent.
    repeat = upload_id_of(post_file(client, csv_file(rows)))
    repeat_html = client.get(detail_url(repeat)).get_data(as_text=True)
    assert 'data-testid="same-file"' in repeat_html
    assert counts(repeat_html)["valid"] == 0
    assert "Already sent in an earlier upload of this partner." in repeat_html


def test_all_or_nothing_sends_nothing_while_rows_are_wrong(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    rows = [person(0, 920000), person(1, 920001, gender="X")]
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    refused = send(client, upload_id, policy="all_or_nothing")
    assert refused.status_code == 422
    assert 'data-testid="policy-error"' in refused.get_data(as_text=True)
    assert clean_faults.calls(f"POST /app/partners/{PARTNER}/cardholders/upload") == []


def test_a_stalled_stream_says_still_processing_then_recovers(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    cards = free_cards(sandbox, 6)
    rows = [person(i, card) for i, card in enumerate(cards)]
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    clean_faults.set_fault(
        f"/app/partners/{PARTNER}/cardholders/batch/*/progress", "sse_stall", times=1, seconds=8
    )
    with batch_pace(sandbox, 1):
        assert send(client, upload_id).status_code == 303
        deadline = time.monotonic() + 6  # the console's idle timeout is 2 s in this test
        seen: list[str] = []
        while time.monotonic() < deadline and "stalled" not in seen:
            polled = client.get(f"{detail_url(upload_id)}/progress", headers={"HX-Request": "true"})
            found = re.search(r'data-state="(\w+)"', polled.get_data(as_text=True))
            assert found, polled.headers
            seen.append(found.group(1))
            time.sleep(0.25)
        assert seen[-1] == "stalled", seen
        assert set(seen) <= {"running", "stalled"}  # never a success or a failure while the stream is silent
        html = polled.get_data(as_text=True)
        assert "Still processing" in html
        assert 'hx-trigger="every 2s"' in html
        assert '"X-Background": "1"' in html
    html = wait_until_done(client, upload_id, seconds=40)
    assert 'data-state="done"' in html


def _submit_outcomes(console: Flask, upload_id: int) -> list[str]:
    from webapp.store.audit import recent_events

    with console.app_context():
        events = recent_events(PARTNER, target=f"upload:{upload_id}")
    return sorted(event.outcome for event in events if event.action == "bulk_upload_submitted")


def test_a_refused_confirm_can_be_sent_again_and_a_lost_answer_replays_the_same_batch(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    cards = free_cards(sandbox, 2)
    upload_id = upload_id_of(post_file(client, csv_file([person(i, card) for i, card in enumerate(cards)])))
    route = f"POST /app/partners/{PARTNER}/cardholders/upload"
    # The CMS answers that it did nothing: the upload is checked again, its key free for a corrected send.
    clean_faults.set_fault(route, "status", status=503, times=1)
    refused = send(client, upload_id)
    assert refused.status_code == 502, refused.status_code  # a failing CMS (webapp/errors.py)
    assert 'data-testid="upload-problem"' in refused.get_data(as_text=True)
    assert _submit_outcomes(console, upload_id) == ["refused"]
    # A plain 500 after the send may have created the batch: the outcome is unknown, the key stays claimed.
    clean_faults.set_fault(route, "status", status=500, times=1)
    lost = send(client, upload_id)
    assert lost.status_code == 504, lost.get_data(as_text=True)[:2000]
    assert 'data-testid="outcome-unknown"' in lost.get_data(as_text=True)
    assert _submit_outcomes(console, upload_id) == ["refused", "unknown"]
    # The deliberate retry replays the same key: one batch in the end.
    assert send(client, upload_id).status_code == 303
    assert _submit_outcomes(console, upload_id) == ["refused", "success", "unknown"]
    keys = {call["idempotencyKey"] for call in clean_faults.calls(route)}
    assert len(keys) == 1, keys
    assert 'data-state="done"' in wait_until_done(client, upload_id)
