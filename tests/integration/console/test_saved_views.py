"""Saved views against the sandbox: save a list's filters and sort, open them from the sidebar, share them
with colleagues of the same partner only, delete one's own only, refuse bad names, tampered queries and
missing CSRF.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, parse_qsl

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.integration.console.test_cardholders_list import READER, csrf_of
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle

LIST = f"/p/{PARTNER_A}/cardholders/"
VIEWS = f"/p/{PARTNER_A}/views/"
USERS = f"/p/{PARTNER_A}/users/"


pytestmark = pytest.mark.console(LOGIN_RATE_LIMIT="100 per minute", OTP_RATE_LIMIT="100 per minute")


def save(
    client: FlaskClient,
    name: str,
    query: str = "status=active",
    *,
    list_key: str = "cardholders",
    **extra: str,
) -> tuple[int, str, str]:
    """POST the "Save this view" form as the list page renders it; (status, Location, body)."""
    data = {"csrf_token": csrf_of(client), "name": name, "list_key": list_key, "query": query, **extra}
    answer = client.post(VIEWS, data=data)
    return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def sidebar(client: FlaskClient, path: str = LIST) -> dict[str, str]:
    """The sidebar's saved views on `path`: {name: href}."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    body = page.get_data(as_text=True)
    block = body.split('data-testid="saved-views-nav"', 1)[1].split("</nav>", 1)[0]
    return {
        html.unescape(name).strip(): html.unescape(href)
        for href, name in re.findall(r'<a class="nav-link sv-link[^"]*" href="([^"]+)"[^>]*>([^<]+)', block)
    }


def view_ids(client: FlaskClient, partner_id: int = PARTNER_A) -> list[int]:
    """The ids of the views this operator may delete, from the manage page's delete forms."""
    body = client.get(f"/p/{partner_id}/views/").get_data(as_text=True)
    return [int(i) for i in re.findall(rf'action="/p/{partner_id}/views/(\d+)/delete"', body)]


def test_a_saved_view_opens_from_the_sidebar_with_its_filters_and_sort(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(READER)
    page = client.get(f"{LIST}?status=active&sort=name&order=asc")
    assert 'data-testid="save-view"' in page.get_data(as_text=True)
    status, location, _body = save(client, "Active by name", "order=asc&sort=name&status=active")
    assert status == 303
    assert location.endswith(f"{LIST}?order=asc&sort=name&status=active")
    assert sidebar(client)["Active by name"] == f"{LIST}?order=asc&sort=name&status=active"
    opened = client.get(f"{LIST}?order=asc&sort=name&status=active").get_data(as_text=True)
    assert '<option value="active" selected>' in opened
    assert re.search(r'class="nav-link sv-link is-active" href="[^"]+" aria-current="page"', opened)
    # The sidebar shows it on every page of this partner, not only on the list itself.
    assert "Active by name" in sidebar(client, f"/p/{PARTNER_A}/")


def test_the_query_keeps_only_what_the_list_accepts(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in(READER)
    tampered = (
        "status=active&status=closed&page=7&s=abcdefgh12&limit=25&sort=bogus&order=asc&q=ana%40x.com&x=1"
    )
    status, location, _body = save(client, "Cleaned", tampered)
    assert status == 303
    href = sidebar(client)["Cleaned"]
    assert href == f"{LIST}?limit=25&order=asc&status=active"
    assert location.endswith(href)
    assert set(parse_qs(href.split("?", 1)[1])) == {"limit", "order", "status"}  # no page, s, q or x
    assert "ana" not in href
    assert "bogus" not in href


def test_a_shared_view_reaches_colleagues_of_the_same_partner_only(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    author, _ = auth.sign_in(READER)
    assert save(author, "Team closed", "status=closed", shared="y")[0] == 303
    assert save(author, "Mine only", "status=inactive")[0] == 303

    colleague, _ = auth.sign_in(READER)
    seen = sidebar(colleague)
    assert seen.get("Team closed") == f"{LIST}?status=closed"
    assert "Mine only" not in seen

    # An operator of another partner, and one of both partners looking at the other partner, see neither.
    stranger, _ = auth.sign_in(READER, partners=(PARTNER_B,))
    assert sidebar(stranger, f"/p/{PARTNER_B}/cardholders/") == {}
    both, _ = auth.sign_in(READER, partners=(PARTNER_A, PARTNER_B))
    assert sidebar(both, f"/p/{PARTNER_B}/cardholders/") == {}
    assert "Team closed" in sidebar(both)


def test_a_shared_view_of_a_list_the_colleague_may_not_open_is_not_shown(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    author, _ = auth.sign_in([*READER, "users:list"])
    assert save(author, "Inactive users", "status=inactive", list_key="users", shared="y")[0] == 303
    assert sidebar(author)["Inactive users"] == f"{USERS}?status=inactive"
    colleague, _ = auth.sign_in(READER)
    assert "Inactive users" not in sidebar(colleague)
    # Nor can they save a view of that list (deny by default: the same 404 as an unknown list).
    assert save(colleague, "Sneaky", "status=inactive", list_key="users")[0] == 404
    assert save(colleague, "Nowhere", list_key="no-such-list")[0] == 404


def test_only_the_owner_deletes_a_view(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    author, _ = auth.sign_in(READER)
    assert save(author, "To delete", "status=closed", shared="y")[0] == 303
    [view_id] = view_ids(author)

    colleague, _ = auth.sign_in(READER)
    assert view_ids(colleague) == []  # shared with them, but not theirs to delete
    delete_url = f"{VIEWS}{view_id}/delete"
    assert colleague.post(delete_url, data={"csrf_token": csrf_of(colleague)}).status_code == 404
    other, _ = auth.sign_in(READER, partners=(PARTNER_B,))
    token = csrf_of(other, f"/p/{PARTNER_B}/cardholders/")
    assert other.post(f"/p/{PARTNER_B}/views/{view_id}/delete", data={"csrf_token": token}).status_code == 404
    assert other.post(delete_url, data={"csrf_token": token}).status_code == 403  # not their partner
    assert "To delete" in sidebar(colleague)

    answer = author.post(delete_url, data={"csrf_token": csrf_of(author)})
    assert answer.status_code == 303
    assert "To delete" not in sidebar(author)
    assert "To delete" not in sidebar(colleague)
    assert author.post(delete_url, data={"csrf_token": csrf_of(author)}).status_code == 404


def test_save_and_delete_are_recorded_in_the_audit_trail(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    from webapp.store.audit import recent_events

    client, email = auth.sign_in(READER)
    assert save(client, "Audited", "status=active", shared="y")[0] == 303
    [view_id] = view_ids(client)
    client.post(f"{VIEWS}{view_id}/delete", data={"csrf_token": csrf_of(client)})
    with console.app_context():
        events = [e for e in recent_events(PARTNER_A) if e.target == f"saved_view:{view_id}"]
    assert [(e.action, e.outcome, e.actor_email) for e in events] == [
        ("saved_view_delete", "success", email),
        ("saved_view_create", "success", email),
    ]
    assert events[1].detail == {"list": "cardholders", "shared": True}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "View name: enter a name for this view."),
        ("   ", "View name: enter a name for this view."),
        ("x" * 61, "View name: at most 60 characters."),
    ],
)
def test_a_bad_name_is_refused_beside_the_field(
    console: Flask, sandbox: SandboxHandle, name: str, message: str, auth: Auth
) -> None:
    client, _ = auth.sign_in(READER)
    status, _location, body = save(client, name, "status=active&page=4")
    assert status == 422
    assert message in body
    assert 'aria-invalid="true"' in body
    assert 'name="query" type="hidden" value="status=active"' in body  # kept, already cleaned, for the retry
    assert view_ids(client) == []


def test_a_duplicate_name_on_the_same_list_is_refused(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    client, _ = auth.sign_in([*READER, "users:list"])
    assert save(client, "Mine", "status=active")[0] == 303
    status, _location, body = save(client, "  Mine ", "status=closed")
    assert status == 422
    assert "View name: you already have a view called “Mine” on this list." in html.unescape(body)
    assert save(client, "Mine", "status=active", list_key="users")[0] == 303  # another list: fine
    colleague, _ = auth.sign_in(READER)
    assert save(colleague, "Mine", "status=active")[0] == 303  # another operator: fine


def test_saving_without_a_csrf_token_is_refused(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(READER)
    answer = client.post(
        VIEWS, data={"name": "No token", "list_key": "cardholders", "query": "status=active"}
    )
    assert answer.status_code == 400
    assert view_ids(client) == []


def test_the_spanish_sidebar_and_messages(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in(READER)
    client.post("/lang", data={"lang": "es", "csrf_token": csrf_of(client)})
    status, _location, body = save(client, "")
    assert status == 422
    assert "Nombre de la vista: escriba un nombre para esta vista." in body
    assert save(client, "Activos", "status=active")[0] == 303
    page = client.get(LIST).get_data(as_text=True)
    assert "Vistas guardadas" in page
    assert "Guardar esta vista" in page


def _control_query(client: FlaskClient, path: str) -> dict[str, str]:
    """The query the list's "Save this view" control would send, as rendered on `path`."""
    body = client.get(path).get_data(as_text=True)
    control = body.split('data-testid="save-view"', 1)[1].split("</details>", 1)[0]
    found = re.search(r'name="query" value="([^"]*)"', control)
    assert found is not None
    return dict(parse_qsl(html.unescape(found.group(1)), keep_blank_values=True))


def test_every_list_offers_the_control_with_its_current_query(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    lists = [*READER, "users:list", "balance-management:list"]
    client, _ = auth.sign_in(lists)
    assert _control_query(client, f"{LIST}?status=closed&page=2&sort=name") == {
        "sort": "name",
        "status": "closed",
    }
    assert _control_query(client, f"{USERS}?status=inactive&sort=email&order=desc") == {
        "status": "inactive",
        "sort": "email",
        "order": "desc",
    }
    top_ups = f"/p/{PARTNER_A}/top-ups/"
    assert _control_query(client, f"{top_ups}?status=pending&from=2026-01-01&page=2") == {
        "status": "pending",
        "from": "2026-01-01",
    }


def test_a_top_up_view_keeps_only_valid_filters(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    client, _ = auth.sign_in([*READER, "balance-management:list"])
    query = "status=bogus&from=2026-03-01&to=2026-01-01&awaiting=me&page=3"
    status, location, _body = save(client, "Waiting for me", query, list_key="top-ups")
    assert status == 303
    assert location.endswith(f"/p/{PARTNER_A}/top-ups/?awaiting=me&from=2026-03-01&status=pending")
    assert (
        sidebar(client)["Waiting for me"]
        == f"/p/{PARTNER_A}/top-ups/?awaiting=me&from=2026-03-01&status=pending"
    )


def test_pages_still_open_when_the_store_cannot_list_saved_views(
    console: Flask, sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture, auth: Auth
) -> None:
    from sqlalchemy import text

    from webapp.store import Store

    client, _ = auth.sign_in(READER)
    store: Store = console.extensions["store"]
    with store.engine.begin() as connection:  # a store that lost the table (restored from an old backup)
        connection.execute(text("DROP TABLE saved_views"))
    page = client.get(LIST)
    assert page.status_code == 200
    assert 'data-testid="cardholder-table"' in page.get_data(as_text=True)
    assert sidebar(client) == {}
    assert any(getattr(r, "event", None) == "saved_views_unavailable" for r in caplog.records)
