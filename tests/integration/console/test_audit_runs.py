"""Permission audits against the sandbox: the matrix, sensitive holders, risky and dormant flags, exports, the
read-only auditor, scope rules, snapshots and "changed since the previous audit",
and parallel upstream reads."""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.integration.console.audit_jobs import (
    download_link,
    finished_panel,
    job_of,
    result_link,
    run_queued,
)
from tests.integration.console.test_users_pages import (
    ACCESS_SETTINGS,
    form_of,
    fresh_email,
)
from tests.support.auth import Auth, Signed
from tests.support.sandbox import SandboxHandle
from tests.support.sandbox_login import operator as api_operator
from webapp.audit.rules import RISK_LABELS
from webapp.store.audit import recent_events

PARTNER_Q = 3  # the quietest seeded partner: other tests rarely add users to it
AUDITOR = ["users:list", "users:detail", "cardholders:list"]


pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def _run(op: Signed, partner_id: int = PARTNER_Q, scope: str = "partner") -> tuple[int, str]:
    """Run an audit as the operator does: the post answers with the job's panel; once the job is done the
    panel links to the snapshot."""
    index = op.client.get(f"/p/{partner_id}/audit/")
    assert index.status_code == 200
    ran = op.client.post(
        f"/p/{partner_id}/audit/run", data={**form_of(index.get_data(as_text=True)), "scope": scope}
    )
    job_id = job_of(ran, partner_id)
    assert 'data-testid="job-panel"' in op.client.get(ran.headers["Location"]).get_data(as_text=True)
    link = result_link(finished_panel(op.client, op.client.application, partner_id, job_id))
    found = re.search(rf"/p/{partner_id}/audit/(\d+)$", link)
    assert found
    page = op.client.get(link)
    assert page.status_code == 200
    return int(found.group(1)), page.get_data(as_text=True)


def _export(op: Signed, snapshot_id: int, fmt: str, partner_id: int = PARTNER_Q) -> TestResponse:
    """Export as the operator does: the post answers with the job's panel, which offers the file once done."""
    page = op.client.get(f"/p/{partner_id}/audit/{snapshot_id}").get_data(as_text=True)
    posted = op.client.post(f"/p/{partner_id}/audit/{snapshot_id}/export.{fmt}", data=form_of(page))
    job_id = job_of(posted, partner_id)
    return op.client.get(download_link(finished_panel(op.client, op.client.application, partner_id, job_id)))


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</table>", start)]


def test_auditor_sees_flags_and_dormant_holders_and_exports(
    auth: Auth,
    sandbox: SandboxHandle,
    console: Flask,
) -> None:
    risky = sandbox.create_user(
        email=fresh_email(),
        password="Risky-Pass-2026!",
        name="Rita Riesgo",
        partners=[PARTNER_Q],
        permissions={str(PARTNER_Q): ["balance-management:create", "approvals:update", "cardholders:list"]},
        lastLoginAt="2099-01-01T00:00:00Z",
    )
    sleeper = sandbox.create_user(
        email=fresh_email(),
        password="Sleepy-Pass-2026!",
        name="Samuel Dormido",
        partners=[PARTNER_Q],
        permissions={str(PARTNER_Q): ["users:*", "cards-admin:addFunds"]},
        lastLoginAt="2020-01-01T00:00:00Z",
    )
    plain = sandbox.create_user(
        email=fresh_email(),
        password="Plain-Pass-2026!",
        name="Pablo Lector",
        partners=[PARTNER_Q],
        permissions={str(PARTNER_Q): ["cardholders:list"]},
        lastLoginAt="2020-01-01T00:00:00Z",
    )
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    snapshot_id, html = _run(op)
    flags = _section(html, "flags")
    assert f'data-testid="flag-maker_checker-{PARTNER_Q}-{risky["id"]}"' in flags
    assert f'data-testid="flag-admin_and_money-{PARTNER_Q}-{sleeper["id"]}"' in flags
    assert f'data-testid="flag-dormant-{PARTNER_Q}-{sleeper["id"]}"' in flags
    assert f'-{plain["id"]}"' not in flags  # dormant, but holds nothing sensitive
    assert f'flag-dormant-{PARTNER_Q}-{risky["id"]}"' not in flags  # signed in recently
    holders = _section(html, "holders")
    assert (
        "Samuel Dormido" in holders.split('data-testid="holders-cards-admin:addFunds"')[1].split("</tr>")[0]
    )
    assert f'data-testid="row-{PARTNER_Q}-{plain["id"]}"' in _section(html, "matrix")
    assert "This is the first audit of these partners" in html

    exported = _export(op, snapshot_id, "csv")
    assert exported.status_code == 200
    # Served by the job's download (webapp/jobs/views.py: send_file, which quotes only names that need it).
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=permission-audit-")
    rows = list(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    # The page's labels as headers, flags by their readable names, the time column naming its zone.
    assert "Last sign-in (America/Guatemala)" in rows[0]
    by_user = {int(r["User ID"]): r for r in rows}
    assert by_user[sleeper["id"]]["Dormant"] == "Yes"
    assert by_user[sleeper["id"]]["cards-admin:addFunds"] == "X"
    assert by_user[risky["id"]]["Risk flags"] == RISK_LABELS["maker_checker"]
    assert by_user[plain["id"]]["Sensitive permissions"] == "0"
    xlsx = _export(op, snapshot_id, "xlsx")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
    with console.app_context():
        actions = {e.action for e in recent_events(target=f"audit_snapshot:{snapshot_id}")}
    assert actions == {"permission_audit_run", "permission_audit_export"}


def test_the_seeded_dormant_admin_is_flagged(auth: Auth, sandbox: SandboxHandle) -> None:
    """The demo story: Elena has not signed in for 200 days and still holds users:* and addFunds on
    partner 1."""
    op = auth.sign_in({1: AUDITOR})
    _, html = _run(op, partner_id=1)
    assert re.search(r'data-testid="flag-dormant-1-\d+"', html)
    assert "Elena Barrios" in _section(html, "flags")


def test_the_next_audit_shows_exactly_the_revoked_grant(auth: Auth, sandbox: SandboxHandle) -> None:
    target = sandbox.create_user(
        email=fresh_email(),
        password="Target-Pass-2026!",
        name="Diana Cambio",
        partners=[PARTNER_Q],
        permissions={str(PARTNER_Q): ["cardholders:list", "cardholders:detail"]},
    )
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    _run(op)
    admin = api_operator(sandbox, "diego.admin@demo.migo")
    try:
        modules = admin.http.get("/app/modules").json()["data"]
        detail_id = next(
            p["permissionId"]
            for m in modules
            for p in m["permissions"]
            if (p["resource"], p["action"]) == ("cardholders", "detail")
        )
        answer = admin.http.post(
            f"/app/users/{target['id']}/permissions/revoke",
            json={"permissions": [{"permissionId": detail_id, "partnerId": PARTNER_Q}]},
        )
        assert answer.status_code == 200, answer.text
    finally:
        admin.close()
    _, html = _run(op)
    changes = _section(html, "changes")
    rows = re.findall(r'data-testid="change-(\d+)-(\d+)"', changes)
    assert rows == [(str(PARTNER_Q), str(target["id"]))]
    assert "− cardholders:detail" in changes
    assert "+ " not in changes
    _, unchanged = _run(op)
    assert 'data-testid="no-changes"' in unchanged


def test_read_only_auditor_can_audit_but_not_change(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    _run(op)
    assert op.client.get(f"/p/{PARTNER_Q}/permissions/users/1").status_code == 403
    assert op.client.get(f"/p/{PARTNER_Q}/users/new").status_code == 403


def test_running_needs_users_detail_too(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({PARTNER_Q: ["users:list"]})
    index = op.client.get(f"/p/{PARTNER_Q}/audit/")
    html = index.get_data(as_text=True)
    assert "Running an audit needs users:list and users:detail on this partner." in html
    sandbox.clear_calls()
    assert op.client.post(f"/p/{PARTNER_Q}/audit/run", data=form_of(html)).status_code == 403
    assert sandbox.calls(f"GET /app/partners/{PARTNER_Q}/users") == []
    assert op.client.get(f"/p/{PARTNER_Q}/audit/").status_code == 200


def test_all_my_partners_covers_only_auditable_ones(auth: Auth, sandbox: SandboxHandle) -> None:
    op = auth.sign_in({1: ["users:list"], 2: AUDITOR, PARTNER_Q: AUDITOR})
    index = op.client.get(f"/p/{PARTNER_Q}/audit/").get_data(as_text=True)
    assert "Banco Quetzal" in index.split("Not included")[1]
    _, html = _run(op, scope="all")
    assert re.search(r'data-testid="row-2-\d+"', html)
    assert re.search(rf'data-testid="row-{PARTNER_Q}-\d+"', html)
    assert not re.search(r'data-testid="row-1-\d+"', html)


def test_a_snapshot_is_not_visible_outside_its_partners(auth: Auth, sandbox: SandboxHandle) -> None:
    auditor = auth.sign_in({PARTNER_Q: AUDITOR})
    snapshot_id, _ = _run(auditor)
    other = auth.sign_in({1: AUDITOR})
    assert other.client.get(f"/p/1/audit/{snapshot_id}").status_code == 404
    other_page = other.client.get("/p/1/audit/").get_data(as_text=True)
    exporting = other.client.post(f"/p/1/audit/{snapshot_id}/export.csv", data=form_of(other_page))
    assert exporting.status_code == 404
    narrower = auth.sign_in({PARTNER_Q: ["users:list"]})
    assert narrower.client.get(f"/p/{PARTNER_Q}/audit/{snapshot_id}").status_code == 404


def test_permissions_are_read_in_parallel(
    auth: Auth, sandbox: SandboxHandle, clean_faults: SandboxHandle
) -> None:
    """Each permission read is held 150 ms upstream; the reads overlap in time instead of queuing."""
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    clean_faults.set_fault(f"GET /app/users/*/partners/{PARTNER_Q}/permissions", "delay", ms=150)
    clean_faults.clear_calls()
    _run(op)
    calls = clean_faults.calls(f"GET /app/users/*/partners/{PARTNER_Q}/permissions")
    assert len(calls) >= 4
    spans = sorted((c["at"] - c["durationMs"] / 1000, c["at"]) for c in calls)
    overlapping = sum(1 for (s1, e1), (s2, _e2) in itertools.pairwise(spans) if s2 < e1)
    assert overlapping >= len(spans) // 2


def test_an_upstream_failure_saves_no_half_audit(
    auth: Auth, sandbox: SandboxHandle, clean_faults: SandboxHandle
) -> None:
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    index = op.client.get(f"/p/{PARTNER_Q}/audit/").get_data(as_text=True)
    clean_faults.set_fault(f"GET /app/users/*/partners/{PARTNER_Q}/permissions", "status", status=500)
    posted = op.client.post(f"/p/{PARTNER_Q}/audit/run", data={**form_of(index), "scope": "partner"})
    job_id = job_of(posted, PARTNER_Q)
    run_queued(op.client.application)
    clean_faults.clear_faults()
    panel = op.client.get(f"/p/{PARTNER_Q}/jobs/{job_id}/panel").get_data(as_text=True)
    assert 'data-state="failed"' in panel
    assert "the CMS did not answer every read: run the audit again" in panel
    assert 'data-testid="snapshots"' not in op.client.get(f"/p/{PARTNER_Q}/audit/").get_data(as_text=True)
