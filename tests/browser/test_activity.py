"""The auditor's question in a real browser: "who revealed this cardholder's data last month?", answered from
the partner's first screen in under five clicks; plus the page's screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import OPERATOR_PASSWORD, new_operator, shoot
from tests.support.sandbox import SandboxHandle
from webapp.store import chain, create_store
from webapp.store.models import AuditEvent

PARTNER = 1
CARDHOLDER = "cardholder:4242"


def _seed(database: Path, events: list[dict[str, Any]]) -> None:
    """Events in the running console's store, chained like its own (they happened before this test)."""
    store = create_store(f"sqlite:///{database}")
    for fields in events:
        event = AuditEvent(outcome="success", partner_id=PARTNER, **fields)
        with chain.append_lock(store.engine), store.session() as db:
            chain.link(db, event)
            db.add(event)
    store.engine.dispose()


def test_an_auditor_finds_who_revealed_a_cardholders_data_last_month(
    page: Any,
    console_url: str,
    sandbox: SandboxHandle,
    signed_in_page: Callable[..., Any],
    tmp_path: Path,
) -> None:
    database = tmp_path / "console-0" / "console-instance" / "console.sqlite3"  # the `console_url` console
    assert database.exists()
    last_month = datetime.now(UTC).replace(day=1) - timedelta(days=20)  # inside the previous calendar month
    _seed(
        database,
        [
            # the answer
            {
                "occurred_at": last_month,
                "action": "cardholder_pii_reveal",
                "target": CARDHOLDER,
                "actor_id": 91001,
                "actor_email": "rita.revela@test.migo",
                "detail": {"fields": ["documentNumber", "phoneNumber", "email"]},
            },
            # the same cardholder, but two months before: not last month
            {
                "occurred_at": last_month - timedelta(days=40),
                "action": "cardholder_pii_reveal",
                "target": CARDHOLDER,
                "actor_id": 91002,
                "actor_email": "antes@test.migo",
            },
            # last month, but another cardholder
            {
                "occurred_at": last_month,
                "action": "cardholder_pii_reveal",
                "target": "cardholder:5151",
                "actor_id": 91003,
                "actor_email": "otro@test.migo",
            },
            # last month, this cardholder, but an edit
            {
                "occurred_at": last_month,
                "action": "cardholder_update",
                "target": CARDHOLDER,
                "actor_id": 91004,
                "actor_email": "editor@test.migo",
                "detail": {"fields": ["email"]},
            },
        ],
    )
    auditor = new_operator(sandbox, "Ana Auditora", ["users:list", "users:detail", "cardholders:list"])
    signed_in_page(auditor, OPERATOR_PASSWORD)
    page.goto(f"{console_url}/p/{PARTNER}/")

    clicks = 0

    def click(locator: Any) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    click(page.get_by_role("navigation", name="Sections").get_by_role("link", name="Activity"))  # 1
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()
    page.get_by_label("Kind").select_option(label="Personal data revealed")  # 2 (one pick)
    clicks += 1
    page.get_by_label("Subject").fill(CARDHOLDER)  # typed, not a click
    click(page.get_by_role("button", name="Apply"))  # 3
    expect(page).to_have_url(re.compile(r"kind=pii_reveal"))
    click(page.get_by_role("link", name="Last month"))  # 4
    expect(page).to_have_url(re.compile(r"subject=cardholder.*from=|from=.*subject=cardholder"))
    rows = page.get_by_test_id("activity-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("rita.revela@test.migo")
    expect(rows.first).to_contain_text("Personal data revealed")
    expect(rows.first.get_by_role("link", name="Cardholder #4242", exact=True)).to_be_visible()
    assert clicks < 5
    shoot(page, "activity-01-who-revealed")

    # the state is in the URL: reloading shows the same answer
    page.reload()
    expect(page.get_by_test_id("activity-table").locator("tbody tr")).to_have_count(1)

    # the whole partner trail, unfiltered, for the screenshot
    page.goto(f"{console_url}/p/{PARTNER}/activity/")
    expect(page.get_by_test_id("activity-table")).to_be_visible()
    shoot(page, "activity-02-all")

    # the same page in Spanish
    page.locator(".lang-switch button[value=es]").click()
    expect(page.get_by_role("heading", name="Actividad")).to_be_visible()
    expect(page.get_by_test_id("activity-table")).to_contain_text("Datos personales revelados")
    shoot(page, "activity-03-es")
