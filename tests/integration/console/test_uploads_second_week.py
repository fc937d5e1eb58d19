"""Issue 14, the operator's second week: the dry run predicts the send (free cards), the sheet that matches
is picked and can be switched, missing columns are named at once, line breaks are announced.

Against the sandbox, through the console's real HTTP client."""

from __future__ import annotations

import io
import re
from html import unescape

import xlsxwriter
from flask import Flask

from tests.integration.console.test_uploads_flow import (
    CONSOLE,
    PARTNER,
    UPLOADER,
    counts,
    csrf,
    csv_file,
    detail_url,
    free_cards,
    person,
    post_file,
    send,
    upload_id_of,
    wait_until_done,
)
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle
from webapp.cardholders.vocabulary import FIELDS

pytestmark = CONSOLE

CARD_READER = [*UPLOADER, "cards-admin:detail"]  # may list the partner's cards
NOT_A_CARD = 990_000_001  # no card of the sandbox has this id


def test_a_card_that_is_not_free_fails_in_the_dry_run_as_it_would_on_send(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(CARD_READER, partners=(PARTNER,), step_up=True).client
    [card] = free_cards(sandbox, 1)
    rows = [person(0, card), person(1, NOT_A_CARD)]
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    html = client.get(detail_url(upload_id)).get_data(as_text=True)
    assert counts(html) == {"total": 2, "valid": 1, "invalid": 1, "duplicate": 0}
    assert "This card is not free for this partner" in html
    assert 'data-testid="cards-unchecked"' not in html  # checked here; what is left to the CMS is listed
    assert "registered outside these uploads" in html


def test_when_the_cms_cannot_tell_the_page_says_which_check_only_it_makes(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    # may not list the partner's cards
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    rows = [person(0, NOT_A_CARD)]
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    html = client.get(detail_url(upload_id)).get_data(as_text=True)
    assert counts(html)["valid"] == 1
    assert 'data-testid="cards-unchecked"' in html
    assert "Whether each card is free for this partner." in html
    assert "Your account may not list the partner's cards." in unescape(html)
    # And the sandbox, like the CMS, refuses that row on send: 8014.
    assert send(client, upload_id).status_code == 303
    done = wait_until_done(client, upload_id)
    assert "8014" in done


def _workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, grid in sheets.items():
        sheet = book.add_worksheet(name)
        for r, values in enumerate(grid):
            for c, value in enumerate(values):
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def test_the_sheet_whose_header_matches_is_read_and_can_be_switched(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    rows = [person(0, NOT_A_CARD)]
    notes = [[f"Nota {i}" for i in range(12)], ["x"] * 12]
    altas = [list(FIELDS), *[[r[f] for f in FIELDS] for r in rows]]
    content = _workbook({"Notas": notes, "Altas": altas, "Corto": [["nombre"], ["Ana"]]})
    upload_id = upload_id_of(post_file(client, content, "altas.xlsx"))
    html = client.get(detail_url(upload_id)).get_data(as_text=True)
    assert "“Altas”" in html
    assert counts(html)["total"] == 1
    assert 'data-testid="switch-sheet"' in html
    ref = re.search(r'name="staged_ref" value="(\w+)"', html)
    assert ref is not None
    switched = client.post(
        f"/p/{PARTNER}/uploads/new",
        data={"csrf_token": csrf(client, detail_url(upload_id)), "kind": "users",
              "staged_ref": ref.group(1), "sheet": "Notas"},
    )  # fmt: skip
    assert switched.status_code == 303
    assert "/columns" in switched.headers["Location"]  # the same file, now read from "Notas"
    assert "sheet=Notas" in switched.headers["Location"]
    # A sheet with fewer columns than fields: refused by name, and the workbook is kept for another pick.
    too_short = client.post(
        f"/p/{PARTNER}/uploads/new",
        data={"csrf_token": csrf(client, detail_url(upload_id)), "kind": "users",
              "staged_ref": ref.group(1), "sheet": "Corto"},
    )  # fmt: skip
    assert too_short.status_code == 422
    page = too_short.get_data(as_text=True)
    assert "Required columns are missing" in page
    assert 'data-testid="choose-sheet"' in page
    assert f'value="{ref.group(1)}"' in page


def test_missing_columns_are_named_at_once_and_the_mapping_page_does_not_call_them_optional(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    two_columns = b"documentType,documentNumber\r\nDPI,1234567890101\r\n"
    short = post_file(client, two_columns, "short.csv", kind="cards")
    assert short.status_code == 422
    assert "Required columns are missing (cardId)" in short.get_data(as_text=True)
    renamed = post_file(client, b"tipo,numero,tarjeta\r\nDPI,1234567890101,42\r\n", "cards.csv", kind="cards")
    assert renamed.status_code == 303
    page = client.get(renamed.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="missing-columns"' in page
    for name in ("documentType", "documentNumber", "cardId"):
        assert f"<code>{name}</code>, " in page or f"<code>{name}</code></div>" in page
    assert "unassigned are ignored" not in page


def test_a_line_break_inside_a_cell_is_announced_as_a_space(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client = auth.sign_in(UPLOADER, partners=(PARTNER,), step_up=True).client
    rows = [person(0, NOT_A_CARD), person(1, NOT_A_CARD + 1, address="5a Avenida 10-20\nZona 1")]
    upload_id = upload_id_of(post_file(client, csv_file(rows)))
    html = client.get(detail_url(upload_id)).get_data(as_text=True)
    assert 'data-testid="line-breaks"' in html
    assert "sent as spaces: 1 rows (rows 3)" in html
