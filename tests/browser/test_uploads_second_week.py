"""Issue 14 in a real browser: a batch where every row failed looks failed, the dry-run counts and the sent
outcome are labelled apart, the "Rows with problems" choice is hidden when there are none, ignored columns
are a warning; and the new dry-run screens (free cards, sheets, missing columns, line breaks)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleFactory, give_code, shoot
from tests.integration.console.test_uploads_flow import PARTNER, UPLOADER, batch_pace, free_cards, person
from tests.support.sandbox import SandboxHandle
from webapp.cardholders.vocabulary import FIELDS

NOT_A_CARD = 990_000_101  # no card of the sandbox has this id


@pytest.fixture
def console_url(start_console: ConsoleFactory) -> str:
    """A console whose jobs run: a sent upload is followed to its end by a background job."""
    return start_console(jobs_worker=True)


def _csv_with_notes(rows: list[dict[str, str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([*FIELDS, "Notas"])
    for row in rows:
        writer.writerow([*(row[name] for name in FIELDS), "llamar antes"])
    return text.getvalue().encode("utf-8")


def _operator(sandbox: SandboxHandle, permissions: list[str]) -> tuple[str, str]:
    email, password = f"bulk-{uuid.uuid4().hex[:10]}@test.migo", "Correct-Horse-42!"
    sandbox.create_user(
        email=email, password=password, partners=[PARTNER], permissions={str(PARTNER): permissions}
    )
    return email, password


def test_a_batch_where_every_row_failed_looks_failed(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    email, password = _operator(sandbox, UPLOADER)  # may not list cards: the CMS alone can tell
    page = signed_in_page(email, password)
    rows = [person(0, NOT_A_CARD), person(1, NOT_A_CARD + 1)]
    upload = tmp_path / "altas-con-notas.csv"
    upload.write_bytes(_csv_with_notes(rows))
    page.goto(f"{console_url}/p/{PARTNER}/uploads/new")
    page.locator("#file").set_input_files(str(upload))
    page.get_by_test_id("check-file").click()
    expect(page.locator('[data-count="valid"]')).to_have_text("2")
    expect(page.get_by_test_id("ignored-columns")).to_have_class("alert alert-warning up-problem")
    expect(page.get_by_test_id("ignored-columns")).to_contain_text("Notas")
    expect(page.get_by_test_id("cards-unchecked")).to_be_visible()
    expect(page.get_by_text("No problems in the checks the console can make.")).to_be_visible()
    expect(page.get_by_test_id("policy-choices")).to_have_count(0)  # no row with problems: no choice
    expect(page.get_by_text("Rows with problems")).to_have_count(0)
    shoot(page, "uploads14-01-dry-run-cms-only-checks")
    give_code(page, sandbox, email)
    with batch_pace(sandbox, 20):
        page.get_by_test_id("send-upload").click()
        expect(page.locator('#upload-progress[data-state="done"]')).to_be_visible(timeout=30_000)
    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_have_class("up-progress up-progress-done up-progress-failed")
    bar_color = progress.locator("progress").evaluate("e => getComputedStyle(e).accentColor")
    danger = page.evaluate(
        "() => { const s = document.createElement('span'); s.style.color = 'var(--danger)';"
        " document.body.append(s); const c = getComputedStyle(s).color; s.remove(); return c; }"
    )
    assert bar_color == danger
    expect(page.get_by_role("heading", name="Dry run")).to_be_visible()
    expect(page.get_by_role("heading", name="Sent: outcome from the CMS")).to_be_visible()
    expect(page.get_by_test_id("outcomes")).to_contain_text("8014")
    shoot(page, "uploads14-02-every-row-failed")
    page.get_by_role("button", name="ES", exact=True).click()
    expect(page.get_by_role("heading", name="Enviado: resultado del CMS")).to_be_visible()
    expect(page.get_by_test_id("cards-unchecked")).to_contain_text("Su cuenta no puede listar")
    shoot(page, "uploads14-02-every-row-failed-es")


def test_the_new_dry_run_screens(
    signed_in_page: Callable[..., Any], console_url: str, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    email, password = _operator(sandbox, [*UPLOADER, "cards-admin:detail"])
    page = signed_in_page(email, password)
    [card] = free_cards(sandbox, 1)
    rows = [person(0, card, address="5a Avenida 10-20\nZona 1"), person(1, NOT_A_CARD)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([FIELDS, *[[r[f] for f in FIELDS] for r in rows]])
    upload = tmp_path / "altas.csv"
    upload.write_bytes(text.getvalue().encode("utf-8"))
    page.goto(f"{console_url}/p/{PARTNER}/uploads/new")
    page.locator("#file").set_input_files(str(upload))
    page.get_by_test_id("check-file").click()
    expect(page.locator('[data-count="invalid"]')).to_have_text("1")
    expect(page.get_by_test_id("issues")).to_contain_text("This card is not free for this partner")
    expect(page.get_by_test_id("line-breaks")).to_contain_text("rows 2")
    expect(page.get_by_test_id("cards-unchecked")).to_have_count(0)
    expect(page.get_by_test_id("policy-choices")).to_be_visible()
    shoot(page, "uploads14-03-dry-run-card-not-free")

    renamed = tmp_path / "tarjetas.csv"
    renamed.write_bytes(b"tipo,numero,tarjeta\r\nDPI,1234567890101,42\r\n")
    page.goto(f"{console_url}/p/{PARTNER}/uploads/new")
    page.get_by_label("New cards for existing cardholders", exact=False).check()
    page.locator("#file").set_input_files(str(renamed))
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("missing-columns")).to_contain_text("documentType")
    expect(page.get_by_text("Every field above is required.", exact=False)).to_be_visible()
    shoot(page, "uploads14-04-mapping-missing-columns")

    workbook = tmp_path / "altas.xlsx"
    workbook.write_bytes(_two_sheets([person(2, NOT_A_CARD)]))
    page.goto(f"{console_url}/p/{PARTNER}/uploads/new")
    page.locator("#file").set_input_files(str(workbook))
    page.get_by_test_id("check-file").click()
    switch = page.get_by_test_id("switch-sheet")
    expect(switch.locator("select")).to_have_value("Altas")  # the sheet whose header matches
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    shoot(page, "uploads14-05-sheet-read")
    switch.locator("select").select_option("Corto")
    switch.get_by_role("button").click()
    expect(page.get_by_test_id("choose-sheet")).to_be_visible()  # the workbook is kept
    expect(page.get_by_text("Required columns are missing", exact=False)).to_be_visible()
    shoot(page, "uploads14-06-sheet-lacks-columns")
    page.locator("#sheet").select_option("Notas")
    page.get_by_test_id("check-file").click()
    expect(page.get_by_test_id("missing-columns")).to_be_visible()  # the same file, read from "Notas"


def _two_sheets(rows: list[dict[str, str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    notes = book.add_worksheet("Notas")
    for c in range(12):
        notes.write_string(0, c, f"Nota {c}")
        notes.write_string(1, c, "x")
    data = book.add_worksheet("Altas")
    for r, values in enumerate([list(FIELDS), *[[row[f] for f in FIELDS] for row in rows]]):
        for c, value in enumerate(values):
            data.write_string(r, c, value)
    short = book.add_worksheet("Corto")
    short.write_string(0, 0, "nombre")
    short.write_string(1, 0, "Ana")
    book.close()
    return buffer.getvalue()
