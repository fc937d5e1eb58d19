"""The approver's queue: the dashboard's "waiting for your decision", the list it links to, and the
approve/reject page that holds everything the decision needs (evidence preview and history)."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.integration.console.test_process_requests_create import (
    CHECKER,
    MAKER,
    png_bytes,
    request_top_up,
)
from tests.support.auth import Auth
from tests.support.console import STEP_UP_FOR_AN_HOUR
from tests.support.sandbox import SandboxHandle

BOTH = sorted(set(MAKER) | set(CHECKER))
QUEUE = f"/p/{PARTNER_A}/top-ups/?status=pending&awaiting=me"


pytestmark = pytest.mark.console(
    LOGIN_RATE_LIMIT="100 per minute",
    OTP_RATE_LIMIT="100 per minute",
    **STEP_UP_FOR_AN_HOUR,
)


def pending_in_sandbox(sandbox: SandboxHandle, partner: int = PARTNER_A) -> list[dict[str, Any]]:
    """A partner's pending requests read straight from the sandbox, as an all-seeing admin would."""
    from tests.support.sandbox_login import operator

    admin = operator(sandbox, "diego.admin@demo.migo")
    try:
        items = admin.http.get(f"/app/partners/{partner}/process-request").json()["data"]
    finally:
        admin.close()
    return [item for item in items if item["status"] == "pending"]


def expected_queue(sandbox: SandboxHandle, email: str) -> tuple[set[int], datetime]:
    """What `email` may decide: every pending request that someone else sent, and the oldest of them."""
    mine = [
        item for item in pending_in_sandbox(sandbox) if (item.get("requestedBy") or {}).get("email") != email
    ]
    return {item["id"] for item in mine}, min(datetime.fromisoformat(item["createdAt"]) for item in mine)


def queue_panel(client: FlaskClient, partner: int = PARTNER_A) -> str | None:
    html = client.get(f"/p/{partner}/").get_data(as_text=True)
    found = re.search(r'<section class="panel" data-testid="panel-decision_queue".*?</section>', html, re.S)
    return found.group(0) if found else None


def panel_count(panel: str) -> int:
    found = re.search(r'data-testid="queue-count">([\d,]+)<', panel)
    assert found, panel
    return int(found.group(1).replace(",", ""))


def panel_oldest(panel: str) -> datetime:
    found = re.search(r'data-testid="queue-oldest">[^<]*<time datetime="([^"]+)"', panel)
    assert found, panel
    return datetime.fromisoformat(found.group(1))


def listed_ids(client: FlaskClient, url: str) -> set[int]:
    """Every row id of a list, following its pager."""
    ids: set[int] = set()
    for number in range(1, 100):
        html = client.get(f"{url}&page={number}").get_data(as_text=True)
        rows = re.findall(r'data-testid="topup-row" data-request-id="(\d+)"', html)
        ids.update(int(row) for row in rows)
        if 'rel="next"' not in html:
            return ids
    raise AssertionError("the pager never ended")


def test_the_dashboard_counts_only_what_this_operator_may_decide(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    checker, checker_email = auth.sign_in(CHECKER, step_up=True)
    both, both_email = auth.sign_in(BOTH, step_up=True)
    viewer, _ = auth.sign_in(["balance-management:list", "approvals:list"], step_up=True)
    before = panel_count(queue_panel(checker) or "")
    request_top_up(maker, "31")
    own = request_top_up(both, "32")

    checker_panel = queue_panel(checker)
    assert checker_panel is not None
    ids, oldest = expected_queue(sandbox, checker_email)
    assert own in ids
    assert panel_count(checker_panel) == len(ids) == before + 2
    assert panel_oldest(checker_panel) == oldest
    assert f'href="{QUEUE}"' in unescape(checker_panel)

    both_panel = queue_panel(both)
    assert both_panel is not None
    ids, oldest = expected_queue(sandbox, both_email)
    assert own not in ids
    assert panel_count(both_panel) == len(ids) == panel_count(checker_panel) - 1
    assert panel_oldest(both_panel) == oldest

    assert queue_panel(maker) is None  # no approve permission: nothing waits for them
    assert queue_panel(viewer) is None


def test_an_empty_queue_says_so(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    """Partner B has no seeded top-ups and no test sends one there."""
    assert pending_in_sandbox(sandbox, PARTNER_B) == []
    client = auth.sign_in(CHECKER, partners=(PARTNER_B,)).client
    panel = queue_panel(client, PARTNER_B)
    assert panel is not None
    assert panel_count(panel) == 0
    assert "Nothing to decide right now." in panel
    assert 'data-testid="queue-oldest"' not in panel
    assert 'data-testid="queue-link"' not in panel


def test_a_failing_queue_leaves_the_other_figures(
    console: Flask, sandbox: SandboxHandle, clean_faults: SandboxHandle, auth: Auth
) -> None:
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    clean_faults.set_fault(f"GET /app/partners/{PARTNER_A}/process-requests", "status", status=500)
    page = checker.get(f"/p/{PARTNER_A}/")
    assert page.status_code == 200
    panel = queue_panel(checker)
    assert panel is not None
    assert "Unavailable right now" in panel
    assert 'data-testid="queue-count"' not in panel
    html = page.get_data(as_text=True)
    balance = html[html.index('data-testid="panel-balance"') : html.index('data-testid="panel-pending')]
    assert "Unavailable right now" not in balance


def test_the_queue_list_is_the_dashboard_figure(console: Flask, sandbox: SandboxHandle, auth: Auth) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    both, both_email = auth.sign_in(BOTH, step_up=True)
    other = request_top_up(maker, "33")
    own = request_top_up(both, "34")
    page = both.get(QUEUE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="queue-filter"' in html
    assert f'href="/p/{PARTNER_A}/top-ups/{other}/approve"' in html
    queue = listed_ids(both, QUEUE)
    expected, _ = expected_queue(sandbox, both_email)
    assert queue == expected
    assert other in queue
    assert own not in queue
    assert len(queue) == panel_count(queue_panel(both) or "")
    # The plain pending list still shows the operator's own request: the queue is a filter of its own.
    assert own in listed_ids(both, f"/p/{PARTNER_A}/top-ups/?status=pending")


def test_the_queue_of_someone_who_may_not_decide_is_empty(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    maker, _ = auth.sign_in(MAKER, step_up=True)
    request_top_up(maker, "35")
    viewer, _ = auth.sign_in(["balance-management:list", "approvals:list"], step_up=True)
    page = viewer.get(QUEUE)
    assert page.status_code == 200
    assert listed_ids(viewer, QUEUE) == set()
    assert "No requests match these filters." in page.get_data(as_text=True)


def test_the_queue_filter_is_never_mixed_with_another_status(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    html = checker.get(f"/p/{PARTNER_A}/top-ups/?status=approved&awaiting=me").get_data(as_text=True)
    assert 'data-testid="queue-filter"' not in html
    assert re.findall(r'data-testid="status">.*?>(\w+)<', html, re.S)
    assert set(re.findall(r'data-testid="status">.*?>(\w+)<', html, re.S)) == {"Approved"}


def test_the_decide_page_holds_the_evidence_and_the_history(
    console: Flask, sandbox: SandboxHandle, auth: Auth
) -> None:
    maker, maker_email = auth.sign_in(MAKER, step_up=True)
    checker, _ = auth.sign_in(CHECKER, step_up=True)
    image = request_top_up(maker, "36", evidence=(png_bytes(), "transfer.png"))
    pdf = request_top_up(maker, "37")
    for action in ("approve", "reject"):
        page = checker.get(f"/p/{PARTNER_A}/top-ups/{image}/{action}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        preview = f"/p/{PARTNER_A}/top-ups/{image}/evidence/preview"
        assert re.search(
            rf'<img class="topup-preview-image" src="{preview}"[^>]*data-testid="evidence-image"', html
        )
        history = html[html.index('data-testid="history"') :]
        assert "Request sent" in history
        assert maker_email in history
        assert 'data-testid="confirm"' in html  # the decision itself is on the same page
    html = checker.get(f"/p/{PARTNER_A}/top-ups/{pdf}/approve").get_data(as_text=True)
    assert f'<iframe class="topup-preview-pdf" src="/p/{PARTNER_A}/top-ups/{pdf}/evidence/preview"' in html
    # The preview keeps the console's own safety headers when the decide page frames it.
    served = checker.get(f"/p/{PARTNER_A}/top-ups/{pdf}/evidence/preview")
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("inline")
    # Looking at the evidence is itself recorded, and shows in the history the approver sees next.
    again = checker.get(f"/p/{PARTNER_A}/top-ups/{pdf}/approve").get_data(as_text=True)
    assert "Evidence viewed" in again[again.index('data-testid="history"') :]
