"""The cardholder list against the sandbox: paging, sort, filters, search kept out of URLs, masking, htmx
fragments, failures in place, permissions and tenancy, and the masked export.

The helpers at the top are shared by the other cardholder test modules.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B, csrf_from
from tests.support import sandbox_login
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

LIST = f"/p/{PARTNER_A}/cardholders/"
READER = ["cardholders:list", "cardholders:detail"]
HTMX = {"HX-Request": "true", "HX-Target": "cardholder-results"}
# A run of 8+ digits in visible text would be an unmasked phone or document number.
LONG_DIGITS = re.compile(r">[^<]*\d{8,}[^<]*<")


# -- helpers shared with the other cardholder modules ---------------------------------------------


CONSOLE = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute", OTP_RATE_LIMIT="100 per minute")
pytestmark = CONSOLE


def csrf_of(client: FlaskClient, path: str = LIST) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_from(page.get_data(as_text=True))


def seeded_cardholder(sandbox: SandboxHandle, partner_id: int = PARTNER_A) -> dict[str, Any]:
    """A seeded cardholder's full record, read straight from the sandbox (the console never shows it)."""
    reader = sandbox_login.operator(sandbox, "carla.auditora@demo.migo")
    try:
        resp = reader.http.get(
            f"/app/partners/{partner_id}/cardholders", params={"limit": 5, "sortBy": "name"}
        )
        item: dict[str, Any] = resp.json()["data"]["items"][2]
        return item
    finally:
        reader.close()


def html_of(resp: Any) -> str:
    text: str = resp.get_data(as_text=True)
    return text


@pytest.fixture
def faults(clean_faults: SandboxHandle) -> SandboxHandle:
    return clean_faults


@pytest.fixture
def reader(console: Flask, sandbox: SandboxHandle, auth: Auth) -> FlaskClient:
    client, _ = auth.sign_in(READER)
    return client


# -- list ---------------------------------------------------------------------------------------


def test_first_page_has_fifty_masked_rows(reader: FlaskClient, faults: SandboxHandle) -> None:
    page = reader.get(LIST)
    assert page.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    assert page.headers["Cache-Control"] == "no-store"
    html = html_of(page)
    assert html.count("<tr data-row>") == 50
    assert 'id="cardholder-search"' in html
    # Within the rows (the page header shows the operator's own name, which may hold digits).
    table = html[html.index('data-testid="cardholder-table"') : html.index("</table>")]
    assert not LONG_DIGITS.search(table), LONG_DIGITS.search(table)
    assert re.search(r"[a-z0-9]•••@[a-z0-9.-]+", html)
    (call,) = faults.calls(f"GET /app/partners/{PARTNER_A}/cardholders")
    assert {"page", "limit", "sortBy", "sortOrder"} <= set(call["queryKeys"])


def test_sort_status_and_page_size_reach_upstream(reader: FlaskClient, faults: SandboxHandle) -> None:
    page = reader.get(f"{LIST}?sort=name&order=asc&status=active&limit=25&page=2")
    html = html_of(page)
    assert html.count("<tr data-row>") == 25
    assert 'aria-sort="ascending"' in html
    assert "Page 2 of" in html
    (call,) = faults.calls(f"GET /app/partners/{PARTNER_A}/cardholders")
    assert "status" in call["queryKeys"]
    names = re.findall(r'class="ch-row-link" href="[^"]+">([^<]+)</a>', html)
    assert names == sorted(names, key=str.lower) or names == sorted(names)


def test_bad_list_arguments_fall_back_to_defaults(reader: FlaskClient) -> None:
    page = reader.get(f"{LIST}?sort=password&order=sideways&limit=100000&page=-3&status=<b>")
    assert page.status_code == 200
    assert html_of(page).count("<tr data-row>") == 50


def test_the_list_speaks_the_browsers_language_until_the_operator_picks_one(reader: FlaskClient) -> None:
    """Labels and row badges are translated once per page: each request finds its own language."""
    spanish = html_of(reader.get(LIST, headers={"Accept-Language": "es-GT,es;q=0.9,en;q=0.5"}))
    assert '<span class="badge badge-ok">Activo</span>' in spanish
    assert '<option value="closed">Cerrado</option>' in spanish
    english = html_of(reader.get(LIST, headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<span class="badge badge-ok">Active</span>' in english
    assert "Activo" not in english
    token = csrf_from(english)
    assert reader.post("/lang", data={"lang": "es", "csrf_token": token}).status_code == 303
    chosen = html_of(reader.get(LIST, headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<span class="badge badge-ok">Activo</span>' in chosen


def test_search_goes_by_post_and_the_url_holds_only_an_id(
    reader: FlaskClient, sandbox: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    document = person["documentNumber"]
    sent = reader.post(
        f"/p/{PARTNER_A}/cardholders/search", data={"q": document, "csrf_token": csrf_of(reader)}
    )
    assert sent.status_code == 303
    location = sent.headers["Location"]
    assert document not in location
    assert document[-4:] not in location
    assert re.search(r"\?s=[A-Za-z0-9_-]{6,24}$", location)
    found = reader.get(location)
    html = html_of(found)
    assert html.count("<tr data-row>") >= 1
    assert f"{person['name']}</a>" in html
    assert re.search(r"\d+ cardholders? match(es)? the search", html)
    # The search box is filled back in the page body (never the URL) so the operator sees what was asked.
    assert f'value="{document}"' in html
    # Reload and back/forward use the same URL: same answer.
    assert html_of(reader.get(location)).count("<tr data-row>") == html.count("<tr data-row>")


def test_htmx_search_answers_only_the_results_and_pushes_a_clean_url(
    reader: FlaskClient, sandbox: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    email = person["email"]
    answer = reader.post(
        f"/p/{PARTNER_A}/cardholders/search",
        data={"q": email, "status": "", "limit": "25"},
        headers={**HTMX, "X-CSRFToken": csrf_of(reader)},
    )
    assert answer.status_code == 200
    html = html_of(answer)
    assert "<html" not in html
    assert 'id="cardholder-search"' not in html
    assert 'data-testid="cardholder-table"' in html
    pushed = answer.headers["HX-Push-Url"]
    assert email not in pushed
    assert "@" not in pushed
    assert "limit=25" in pushed
    assert "s=" in pushed
    assert email not in html  # the list masks even the value searched for


def test_a_search_link_from_another_session_shows_everything_with_a_note(
    console: Flask, sandbox: SandboxHandle, reader: FlaskClient, auth: Auth
) -> None:
    person = seeded_cardholder(sandbox)
    sent = reader.post(
        f"/p/{PARTNER_A}/cardholders/search",
        data={"q": person["documentNumber"], "csrf_token": csrf_of(reader)},
    )
    other, _ = auth.sign_in(READER)
    page = other.get(sent.headers["Location"])
    html = html_of(page)
    assert 'data-testid="lost-search"' in html
    assert html.count("<tr data-row>") == 50


def test_paging_fragment_is_a_small_part_of_the_page(reader: FlaskClient) -> None:
    full = reader.get(f"{LIST}?page=2")
    fragment = reader.get(f"{LIST}?page=2", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in html_of(fragment)
    assert html_of(fragment).count("<tr data-row>") == 50
    assert len(fragment.data) < len(full.data)


def test_no_match_shows_the_empty_state(reader: FlaskClient) -> None:
    sent = reader.post(
        f"/p/{PARTNER_A}/cardholders/search",
        data={"q": f"nobody-{uuid.uuid4().hex}", "csrf_token": csrf_of(reader)},
        follow_redirects=True,
    )
    assert "No cardholders match" in html_of(sent)


def test_upstream_failure_is_shown_in_place(reader: FlaskClient, faults: SandboxHandle) -> None:
    faults.set_fault(f"GET /app/partners/{PARTNER_A}/cardholders", "status", status=503, times=2)
    page = reader.get(LIST)
    assert page.status_code == 503
    html = html_of(page)
    assert 'data-testid="list-error"' in html
    assert 'id="cardholder-search"' in html  # the search form is still there to try again


# -- permissions and tenancy ----------------------------------------------------------------------


def test_without_list_permission_the_list_is_refused(
    console: Flask, sandbox: SandboxHandle, faults: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(["users:list"])
    faults.clear_calls()
    assert client.get(LIST).status_code == 403
    assert faults.calls(f"GET /app/partners/{PARTNER_A}/cardholders") == []


def test_another_partners_list_never_reaches_upstream(reader: FlaskClient, faults: SandboxHandle) -> None:
    faults.clear_calls()
    assert reader.get(f"/p/{PARTNER_B}/cardholders/").status_code == 403
    assert reader.get(f"/p/{PARTNER_B}/cardholders/1").status_code == 403
    assert faults.calls(f"* /app/partners/{PARTNER_B}/*") == []


# -- export ---------------------------------------------------------------------------------------


def _audit_actions(console: Flask, action: str) -> list[Any]:
    from webapp.store.audit import recent_events

    with console.app_context():
        return [e for e in recent_events(partner_id=PARTNER_A, limit=500) if e.action == action]


def test_csv_export_is_masked_complete_and_audited(
    console: Flask, reader: FlaskClient, sandbox: SandboxHandle
) -> None:
    person = seeded_cardholder(sandbox)
    domain = person["email"].rpartition("@")[2]
    token = csrf_of(reader)
    sent = reader.post(f"/p/{PARTNER_A}/cardholders/search", data={"q": domain, "csrf_token": token})
    search_id = sent.headers["Location"].rpartition("s=")[2]
    counted = re.search(r"([\d,]+) cardholders match", html_of(reader.get(sent.headers["Location"])))
    assert counted
    total = int(counted.group(1).replace(",", ""))
    answer = reader.post(
        f"/p/{PARTNER_A}/cardholders/export", data={"format": "csv", "s": search_id, "csrf_token": token}
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert answer.is_streamed
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["ID", "Name", "Last name", "Email"]  # the list's own column labels
    assert rows[0][9] == "Created (America/Guatemala)"
    assert len(rows) - 1 == total
    for row in rows[1:]:
        assert "•••@" in row[3]
        assert row[3].endswith(domain)
        assert not re.search(r"\d{5,}", row[4] + row[6]), row
        assert not row[1].startswith(("=", "+", "-", "@"))
    events = _audit_actions(console, "cardholder_export")
    assert any(e.detail["format"] == "csv" and e.detail["searched"] for e in events)
    assert all(domain not in str(e.detail) for e in events)


def test_xlsx_export_opens_as_a_workbook(reader: FlaskClient) -> None:
    from python_calamine import CalamineWorkbook

    answer = reader.post(
        f"/p/{PARTNER_A}/cardholders/export",
        data={"format": "xlsx", "status": "closed", "csrf_token": csrf_of(reader)},
    )
    assert answer.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(answer.get_data()))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "ID"
    assert all(row[7] == "Closed" for row in rows[1:])  # the status as the list names it
    assert all(isinstance(row[9], datetime) for row in rows[1:])  # a real date, in the display zone


def test_export_needs_a_known_format(reader: FlaskClient) -> None:
    answer = reader.post(
        f"/p/{PARTNER_A}/cardholders/export", data={"format": "pdf", "csrf_token": csrf_of(reader)}
    )
    assert answer.status_code == 400


def test_a_spanish_export_has_the_spanish_column_labels(reader: FlaskClient) -> None:
    with reader.session_transaction() as session:
        session["lang"] = "es"
    answer = reader.post(
        f"/p/{PARTNER_A}/cardholders/export",
        data={"format": "csv", "status": "closed", "csrf_token": csrf_of(reader)},
    )
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Nombre", "Apellido"]
    assert rows[0][9] == "Creado (America/Guatemala)"
    assert all(row[7] == "Cerrado" for row in rows[1:])
