"""The Activity page against the sandbox: who may read the trail (every role), filters and paging in the URL,
the all-partners view, masked CSV/XLSX exports, the per-person links, and viewing/exporting as events."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.integration.console.test_users_pages import ACCESS_SETTINGS
from tests.support.auth import Auth, Signed
from tests.support.sandbox import SandboxHandle
from webapp.store import chain, current_store
from webapp.store.audit import recent_events
from webapp.store.models import AuditEvent

PARTNER = 3  # the quietest seeded partner
OTHER = 2
AUDITOR = ["users:list", "users:detail"]


pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def put(console: Flask, action: str, *, when: datetime | None = None, **fields: Any) -> int:
    """One chained event in the console's store at a chosen time; its id."""
    fields.setdefault("outcome", "success")
    with console.app_context():
        store = current_store()
        event = AuditEvent(occurred_at=when or datetime.now(UTC), action=action, **fields)
        with chain.append_lock(store.engine), store.session() as db:
            chain.link(db, event)
            db.add(event)
            db.flush()
            return event.id


def rows_of(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-testid="event-(\d+)"', html)]


def page(op: Signed, query: str = "", partner: int = PARTNER) -> tuple[int, str]:
    answer = op.client.get(f"/p/{partner}/activity/{query}")
    return answer.status_code, answer.get_data(as_text=True)


# -- who may read it ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "grants", "status"),
    [
        ("auditor", AUDITOR, 200),
        ("user administrator", ["users:*"], 200),
        ("user lister only", ["users:list"], 403),
        ("user detail only", ["users:detail"], 403),
        ("cardholder operator", ["cardholders:list", "cardholders:detail", "cardholders:otp"], 403),
        ("maker", ["balance-management:create", "balance-management:list"], 403),
        ("approver", ["approvals:list", "approvals:detail", "approvals:update"], 403),
        ("bulk uploader", ["bulk-create:create"], 403),
    ],
)
def test_who_may_read_the_trail(
    auth: Auth, console: Flask, role: str, grants: list[str], status: int
) -> None:
    op = auth.sign_in({PARTNER: grants})
    code, _ = page(op)
    assert code == status, role
    assert op.client.get(f"/p/{PARTNER}/activity/export.csv").status_code == status, role
    if status == 403:
        with console.app_context():
            denied = [e for e in recent_events(partner_id=PARTNER) if e.actor_id == op.user_id]
        assert any(e.action == "authz_denied" for e in denied), role


def test_another_partners_trail_is_refused(auth: Auth) -> None:
    op = auth.sign_in({PARTNER: AUDITOR})
    assert page(op, partner=OTHER)[0] == 403


def test_partnerless_events_show_to_administrators_only(auth: Auth, console: Flask) -> None:
    sign_in_event = put(console, "sign_in", actor_email="someone@test.migo", actor_id=99001)
    mine = put(console, "cardholder_update", partner_id=PARTNER, target="cardholder:5", actor_id=99001)
    auditor = auth.sign_in({PARTNER: AUDITOR})
    shown = rows_of(page(auditor, "?operator=99001")[1])
    assert mine in shown
    assert sign_in_event not in shown
    admin = auth.sign_in({PARTNER: AUDITOR}, isAdmin=True)
    assert sign_in_event in rows_of(page(admin, "?operator=99001")[1])


# -- filters, paging, scope --------------------------------------------------------------------------------


def test_each_filter_narrows_and_stays_in_the_url(auth: Auth, console: Flask) -> None:
    now = datetime.now(UTC).replace(hour=12)  # noon UTC: the same day in the display zone (GMT-6)
    reveal = put(
        console,
        "cardholder_pii_reveal",
        partner_id=PARTNER,
        target="cardholder:71",
        actor_id=99101,
        actor_email="rita@test.migo",
        when=now - timedelta(days=35),
    )
    refused = put(
        console,
        "cardholder_pii_reveal",
        partner_id=PARTNER,
        target="cardholder:72",
        actor_id=99102,
        actor_email="pablo@test.migo",
        outcome="refused",
        when=now - timedelta(days=2),
    )
    edit = put(
        console,
        "cardholder_update",
        partner_id=PARTNER,
        target="cardholder:71",
        actor_id=99102,
        actor_email="pablo@test.migo",
        when=now - timedelta(days=1),
    )
    elsewhere = put(
        console, "cardholder_pii_reveal", partner_id=OTHER, target="cardholder:71", actor_id=99101
    )
    op = auth.sign_in({PARTNER: AUDITOR})
    everything = rows_of(page(op)[1])
    assert {reveal, refused, edit} <= set(everything)
    assert elsewhere not in everything
    assert set(rows_of(page(op, "?operator=99101")[1])) & {reveal, refused, edit} == {reveal}
    assert set(rows_of(page(op, "?kind=pii_reveal")[1])) & {reveal, refused, edit} == {reveal, refused}
    assert set(rows_of(page(op, "?outcome=refused")[1])) & {reveal, refused, edit} == {refused}
    assert set(rows_of(page(op, "?subject=cardholder:71")[1])) == {reveal, edit}
    day = (now - timedelta(days=35)).date().isoformat()
    assert set(rows_of(page(op, f"?from={day}&to={day}")[1])) == {reveal}
    code, html = page(op, f"?kind=pii_reveal&subject=cardholder:71&from={day}")
    assert code == 200
    assert rows_of(html) == [reveal]
    assert "rita@test.migo" in html
    # the filter state is in the form and the links, so the page can be bookmarked and paged
    assert 'name="subject" value="cardholder:71"' in html
    assert '<option value="pii_reveal" selected>' in html


def test_bad_filter_values_are_refused_not_widened(auth: Auth, console: Flask) -> None:
    put(console, "cardholder_update", partner_id=PARTNER, target="cardholder:9", actor_id=99201)
    op = auth.sign_in({PARTNER: AUDITOR})
    code, html = page(op, "?subject=cardholder:abc&from=yesterday&kind=nope&operator=abc")
    assert code == 200
    assert "Give a subject as shown in the list" in html
    assert "Give a date as YYYY-MM-DD." in html
    code, html = page(op, "?from=2026-02-01&to=2026-01-01")
    assert "The end date is before the start date." in html


def test_paging_is_server_side(auth: Auth, console: Flask) -> None:
    base = datetime.now(UTC) - timedelta(days=3)
    ids = [
        put(
            console,
            "card_block",
            partner_id=PARTNER,
            target="cardholder:300",
            actor_id=99301,
            when=base + timedelta(seconds=n),
        )
        for n in range(55)
    ]
    op = auth.sign_in({PARTNER: AUDITOR})
    first = rows_of(page(op, "?subject=cardholder:300")[1])
    code, html = page(op, "?subject=cardholder:300&page=2")
    assert code == 200
    second = rows_of(html)
    assert first == list(reversed(ids))[:50]
    assert second == list(reversed(ids))[50:]
    assert "Page 2 of 2" in html
    assert "subject=cardholder:300" in html.split('data-testid="page-prev"')[0].rsplit("href=", 1)[1]
    fragment = op.client.get(f"/p/{PARTNER}/activity/?subject=cardholder:300", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert rows_of(fragment.get_data(as_text=True)) == first


def test_all_partners_covers_only_readable_partners(auth: Auth, console: Flask) -> None:
    here = put(console, "card_block", partner_id=PARTNER, target="cardholder:401", actor_id=99401)
    there = put(console, "card_block", partner_id=OTHER, target="cardholder:402", actor_id=99401)
    both = auth.sign_in({PARTNER: AUDITOR, OTHER: AUDITOR})
    code, html = page(both, "?scope=all&operator=99401")
    assert code == 200
    assert set(rows_of(html)) == {here, there}
    assert 'data-testid="scope-all"' in html
    assert set(rows_of(page(both, "?operator=99401")[1])) == {here}
    one = auth.sign_in({PARTNER: AUDITOR, OTHER: ["users:list"]})
    assert set(rows_of(page(one, "?scope=all&operator=99401")[1])) == {here}


# -- export and events about the trail itself --------------------------------------------------------------


def test_export_is_filtered_masked_and_recorded(auth: Auth, console: Flask) -> None:
    event_id = put(
        console,
        "cms_user_status",
        partner_id=PARTNER,
        target="cms_user:77",
        actor_id=99501,
        actor_email="ana@test.migo",
        detail={
            "before": "active",
            "after": "inactive",
            "email": "victim@example.com",
            "note": "called from 5512345678",
        },
    )
    put(console, "card_block", partner_id=PARTNER, target="cardholder:9", actor_id=99502)
    op = auth.sign_in({PARTNER: AUDITOR})
    code, html = page(op, "?operator=99501")
    assert code == 200
    assert "active → inactive" in html
    assert "victim@example.com" not in html
    assert "5512345678" not in html
    exported = op.client.get(f"/p/{PARTNER}/activity/export.csv?operator=99501")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="activity-')
    assert exported.headers["Cache-Control"] == "no-store"
    text = exported.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["Event ID"]) for r in rows] == [event_id]
    (row,) = rows
    assert set(row) >= {"Time (UTC)", "Operator", "Event", "Subject", "Outcome", "Before", "After"}
    assert row["Operator"] == "ana@test.migo"
    assert row["Event"] == "User status changed"
    assert (row["Before"], row["After"], row["Subject"]) == ("active", "inactive", "cms_user:77")
    assert "victim@example.com" not in text
    assert "5512345678" not in text
    assert "••••••5678" in text
    xlsx = op.client.get(f"/p/{PARTNER}/activity/export.xlsx?operator=99501")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as book:
        sheet = "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    assert "Time (UTC)" in sheet
    assert "victim@example.com" not in sheet
    with console.app_context():
        mine = [e for e in recent_events(partner_id=PARTNER, limit=500) if e.actor_id == op.user_id]
    actions = [(e.action, (e.detail or {}).get("format")) for e in mine]
    assert ("activity_viewed", None) in actions
    assert ("activity_exported", "csv") in actions
    assert ("activity_exported", "xlsx") in actions
    viewed = next(e for e in mine if e.action == "activity_viewed")
    assert viewed.detail is not None
    assert viewed.detail["operator"] == 99501


def test_spanish_page_and_export_headers(auth: Auth, console: Flask) -> None:
    put(console, "card_block", partner_id=PARTNER, target="cardholder:9", actor_id=99601)
    op = auth.sign_in({PARTNER: AUDITOR})
    with op.client.session_transaction() as session:
        session["lang"] = "es"
    code, html = page(op, "?operator=99601")
    assert code == 200
    assert "Actividad" in html
    assert "Tarjeta bloqueada" in html
    text = op.client.get(f"/p/{PARTNER}/activity/export.csv?operator=99601").get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Hora (UTC)")


# -- per person --------------------------------------------------------------------------------------------


def test_the_user_page_links_to_what_that_user_did(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER: AUDITOR})
    detail = op.client.get(f"/p/{PARTNER}/users/{op.user_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="user-activity"', detail)
    assert link
    assert link.group(1) == f"/p/{PARTNER}/activity/?operator={op.user_id}"
    code, html = page(op, f"?operator={op.user_id}")
    assert code == 200
    assert rows_of(html) == []  # a view is recorded after it is read: the first one finds nothing yet
    html = page(op, f"?operator={op.user_id}")[1]
    assert len(rows_of(html)) == 1
    assert 'data-action="activity_viewed"' in html


def test_the_nav_shows_activity_to_trail_readers(auth: Auth) -> None:
    reader = auth.sign_in({PARTNER: AUDITOR})
    assert f'href="/p/{PARTNER}/activity/"' in reader.client.get(f"/p/{PARTNER}/").get_data(as_text=True)
    other = auth.sign_in({PARTNER: ["cardholders:list"]})
    assert "/activity/" not in other.client.get(f"/p/{PARTNER}/").get_data(as_text=True)


def test_the_permission_audit_links_each_user_to_what_they_did(auth: Auth) -> None:
    from tests.integration.console.test_audit_runs import _run

    op = auth.sign_in({PARTNER: [*AUDITOR, "cardholders:list"]})
    _, html = _run(op, partner_id=PARTNER)
    assert f'href="/p/{PARTNER}/activity/?operator={op.user_id}"' in html


def test_the_cardholder_page_links_to_its_trail_for_trail_readers(
    auth: Auth, sandbox: SandboxHandle
) -> None:
    from tests.integration.console.test_cardholders_list import seeded_cardholder

    person = seeded_cardholder(sandbox, partner_id=1)
    url = f"/p/1/cardholders/{person['cardholderId']}"
    reader = auth.sign_in({1: ["cardholders:list", "cardholders:detail", *AUDITOR]})
    html = reader.client.get(url).get_data(as_text=True)
    trail_link = f'href="/p/1/activity/?subject=cardholder:{person["cardholderId"]}"'
    assert trail_link in html
    assert reader.client.get(f"/p/1/activity/?subject=cardholder:{person['cardholderId']}").status_code == 200
    plain = auth.sign_in({1: ["cardholders:list", "cardholders:detail"]})
    assert trail_link not in plain.client.get(url).get_data(as_text=True)
