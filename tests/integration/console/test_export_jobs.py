"""The cardholder export as a background job, run by a real worker process (`python -m webapp.jobs`) against
the sandbox, as the operator who asked for it.

Covered: the button answers at once with the job panel (queued), the worker pages through the CMS (running,
rows written of the total) to a file (done, with its download link); the file's rows, headers and masking in
CSV and XLSX; more rows than the old 50,000 cap in memory and every row of the partner across many CMS pages
through the worker; the panel and the file for their owner only; a session that ended fails the job with a
reason. The console and its workers share an instance folder: its config.py, store, sessions and queue.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.console.test_auth_login import PARTNER_A, PARTNER_B
from tests.integration.console.test_cardholders_list import READER, csrf_of, html_of
from tests.integration.console.test_jobs import Jobs, job_now
from tests.support.auth import Auth
from tests.support.console import console_config, operator_session
from tests.support.sandbox import SandboxHandle
from webapp.auth import job_session
from webapp.auth.token_holder import REVISION_SUFFIX, TOKENS_KEY
from webapp.cms.errors import SessionEnded
from webapp.jobs.records import DONE, FAILED, QUEUED, Job
from webapp.store import current_store

EXPORT = f"/p/{PARTNER_A}/cardholders/export"
REFRESH = "POST /app/users/refresh"
HTMX = {"HX-Request": "true"}
_CMS_KEYS = (
    "CMS_BASE_URL",
    "CMS_MERCHANT",
    "CMS_MERCHANT_KEY_PEM",
    "CMS_PUBLIC_KEY_PEM",
    "SANDBOX_PUBLIC_URL",
)


@pytest.fixture
def jobs(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Jobs]:
    cms = {key: console_config(sandbox, tmp_path)[key] for key in _CMS_KEYS}
    handle = Jobs(tmp_path / "instance", LOGIN_RATE_LIMIT="100 per minute", **cms)
    yield handle
    handle.stop()


@pytest.fixture
def slow_sandbox(clean_faults: SandboxHandle) -> Iterator[SandboxHandle]:
    clean_faults.set_config(latency_ms=60)  # long enough to see a job running between two pages
    yield clean_faults
    clean_faults.set_config(latency_ms=0)


def _total(client: FlaskClient, query: str = "") -> int:
    counted = re.search(
        r'data-testid="result-count">\s*([\d,]+) cardholder',
        html_of(client.get(f"/p/{PARTNER_A}/cardholders/{query}")),
    )
    assert counted
    return int(counted.group(1).replace(",", ""))


def _ask(client: FlaskClient, fmt: str, **form: str) -> tuple[int, str]:
    answer = client.post(EXPORT, data={"format": fmt, "csrf_token": csrf_of(client), **form}, headers=HTMX)
    assert answer.status_code == 200
    panel = answer.get_data(as_text=True)
    found = re.search(r'data-job-id="(\d+)"', panel)
    assert found, panel
    return int(found.group(1)), panel


def test_an_export_goes_from_the_button_through_a_worker_to_its_file(
    jobs: Jobs, sandbox: SandboxHandle, slow_sandbox: SandboxHandle
) -> None:
    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    total = _total(client, "?status=inactive")
    job_id, panel = _ask(client, "csv", status="inactive")
    assert 'data-state="queued"' in panel
    assert 'hx-trigger="every 2s, poll-now"' in panel  # it polls itself while live
    assert job_now(jobs.app, job_id).state == QUEUED
    assert "session" in job_now(jobs.app, job_id).params  # a link to the session, not its tokens or id
    assert not any("token" in str(value).lower() for value in job_now(jobs.app, job_id).params.values())

    jobs.worker()
    seen: list[str] = []

    def running_with_counts() -> bool:
        shown = client.get(f"/p/{PARTNER_A}/jobs/{job_id}/panel", headers=HTMX).get_data(as_text=True)
        seen.append(shown)
        return 'data-state="running"' in shown and f"/ {total:,}" in shown

    jobs.wait("the panel showing rows written of the total", running_with_counts)
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state == DONE)
    done = client.get(f"/p/{PARTNER_A}/jobs/{job_id}/panel", headers=HTMX).get_data(as_text=True)
    assert 'data-state="done"' in done
    assert f'href="/p/{PARTNER_A}/jobs/{job_id}/download"' in done
    assert "Rows written" in done
    job = job_now(jobs.app, job_id)
    assert (job.progress_done, job.progress_total, job.counts) == (total, total, {"rows": total})

    download = client.get(f"/p/{PARTNER_A}/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert rows[0] == [
        "ID", "Name", "Last name", "Email", "Phone", "Document type", "Document", "Status", "Cards",
        "Created (America/Guatemala)",
    ]  # fmt: skip
    assert len(rows) - 1 == total
    for row in rows[1:]:
        assert row[7] == "Inactive"
        assert "•••@" in row[3]
        assert not re.search(r"\d{5,}", row[4] + row[6]), row


def test_every_row_of_the_partner_across_many_pages_in_xlsx(jobs: Jobs, sandbox: SandboxHandle) -> None:
    from python_calamine import CalamineWorkbook

    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    total = _total(client)
    assert total > 1_200  # a dozen CMS pages and more
    job_id, _panel = _ask(client, "xlsx")
    jobs.worker()
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state in (DONE, FAILED), seconds=90)
    assert job_now(jobs.app, job_id).state == DONE, job_now(jobs.app, job_id).failure
    download = client.get(f"/p/{PARTNER_A}/jobs/{job_id}/download")
    assert download.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(download.get_data())).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["ID", "Name", "Last name"]
    assert len(rows) - 1 == total
    assert len({row[0] for row in rows[1:]}) == total  # each cardholder once, none skipped between pages
    assert all("•••@" in str(row[3]) for row in rows[1:] if row[3])


def test_the_export_job_and_its_file_are_for_their_owner_only(jobs: Jobs, sandbox: SandboxHandle) -> None:
    client, _ = Auth(jobs.app, sandbox).sign_in(READER, partners=(PARTNER_A, PARTNER_B))
    job_id, _panel = _ask(client, "csv", status="closed")
    jobs.worker()
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state == DONE)
    assert client.get(f"/p/{PARTNER_A}/jobs/{job_id}/download").status_code == 200

    colleague, _ = Auth(jobs.app, sandbox).sign_in(READER)  # same partner, same rights, another operator
    on_other_partner = jobs.app.test_client()
    owner_id = job_now(jobs.app, job_id).operator_id
    assert owner_id is not None
    operator_session(on_other_partner, partners={PARTNER_B: "Partner B"}, operator_id=owner_id)
    for outsider, partner in ((colleague, PARTNER_A), (on_other_partner, PARTNER_B), (client, PARTNER_B)):
        for path in ("", "/panel", "/download"):
            assert outsider.get(f"/p/{partner}/jobs/{job_id}{path}").status_code == 404, (partner, path)


def test_a_session_that_ended_fails_the_job_with_its_reason(jobs: Jobs, sandbox: SandboxHandle) -> None:
    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    job_id, _panel = _ask(client, "csv", status="closed")
    signed_out = Auth(jobs.app, sandbox).sign_out(client)
    assert signed_out.status_code in (302, 303)
    jobs.worker()
    jobs.wait("the job failed", lambda: job_now(jobs.app, job_id).state == FAILED)
    job = job_now(jobs.app, job_id)
    assert job.failure == "your session ended before the export could run: sign in and export again"
    assert job.result_ref is None


def test_no_row_cap_between_the_list_and_the_file() -> None:
    """More rows than the old 50,000 cap, from fake CMS pages (seeding that many in the sandbox is slow):
    the export asks for pages until the CMS has no next one, and passes on every row."""
    from webapp.cardholders import export as exporting
    from webapp.cms.pagination import Page

    pages = 501  # 50,100 rows
    limit = exporting.PAGE_LIMIT
    asked: list[int] = []

    def fetch(page_no: int, size: int) -> Page[Any]:
        asked.append(page_no)
        return Page(items=[page_no] * size, page=page_no, limit=size, total=pages * limit, total_pages=pages)

    count = sum(1 for _ in exporting.summaries(fetch))
    assert count == pages * limit > 50_000
    assert asked == list(range(1, pages + 1))
    assert not hasattr(exporting, "MAX_ROWS")


def test_a_cms_session_that_expires_during_the_job_fails_it_with_its_reason(
    jobs: Jobs, sandbox: SandboxHandle
) -> None:
    """The session is there, but the CMS refuses its tokens and their refresh (what an expiry mid-job is)."""
    from webapp.jobs import runner

    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    job_id, _panel = _ask(client, "csv", status="closed")
    with client.session_transaction() as session:
        tokens = dict(session["tokens"])
        tokens.update(access_token="expired", refresh_token="spent")
        tokens.pop("access_expires_at", None)
        session["tokens"] = tokens
    assert runner.execute(jobs.app, jobs.app.extensions["jobs"].settings, job_id) == "failed"
    job = job_now(jobs.app, job_id)
    assert job.failure == "your CMS session expired during the export: sign in and export again"
    assert job.result_ref is None
    panel = client.get(f"/p/{PARTNER_A}/jobs/{job_id}/panel", headers=HTMX).get_data(as_text=True)
    assert 'data-state="failed"' in panel
    assert "your CMS session expired during the export" in panel


def _stored_session(client: FlaskClient) -> tuple[str, dict[str, Any], int]:
    """The session's id, its tokens and their revision, as the session store holds them now."""
    with client.session_transaction() as session:
        sid = str(getattr(session, "sid", ""))
        return sid, dict(session[TOKENS_KEY]), int(session.get(TOKENS_KEY + REVISION_SUFFIX, 0))


def test_the_job_record_carries_no_token_no_session_id_and_no_search_text(
    jobs: Jobs, sandbox: SandboxHandle
) -> None:
    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    searched = "Quetzaltenango Ramírez"
    form = {"q": searched, "csrf_token": csrf_of(client)}
    found = client.post(f"/p/{PARTNER_A}/cardholders/search", data=form)
    search_id = re.search(r"\?s=([A-Za-z0-9_-]+)$", found.headers["Location"])
    assert search_id
    job_id, _panel = _ask(client, "csv", s=search_id.group(1))
    again, _panel = _ask(client, "csv", s=search_id.group(1))
    assert again == job_id  # the same session asking the same thing (a double click): one job
    sid, tokens, _revision = _stored_session(client)
    with jobs.app.app_context(), current_store().session() as db:
        row = db.get(Job, job_id)
        assert row is not None
        stored = json.dumps({column.name: str(getattr(row, column.name)) for column in Job.__table__.columns})
    secrets = [str(value) for value in tokens.values() if isinstance(value, str) and len(value) > 16]
    assert sid
    assert secrets
    for secret in (sid, searched, "Quetzaltenango", *secrets):
        assert secret not in stored
    assert set(row.params) == {"format", "status", "sort", "order", "lang", "session"}

    # The job reads the search where the request left it, beside the session records; it leaves with the job.
    jobs.worker()
    jobs.wait("the job done", lambda: job_now(jobs.app, job_id).state == DONE)
    with jobs.app.app_context(), pytest.raises(SessionEnded):
        job_session.borrow(jobs.app, str(row.params["session"]))


def test_the_same_export_from_another_session_is_another_job(jobs: Jobs, sandbox: SandboxHandle) -> None:
    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    first, _panel = _ask(client, "csv", status="closed")
    assert _ask(client, "csv", status="closed")[0] == first
    signed_in_again = jobs.app.test_client()
    Auth(jobs.app, sandbox).sign_in(READER, client=signed_in_again)
    assert _ask(signed_in_again, "csv", status="closed")[0] != first


def test_a_sign_out_ends_a_running_export_with_its_reason(jobs: Jobs, clean_faults: SandboxHandle) -> None:
    sandbox = clean_faults
    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    assert _total(client) > 1_200  # a dozen pages and more, each slow: the job is mid-list when signed out
    sandbox.set_config(latency_ms=300)
    try:
        job_id, _panel = _ask(client, "csv")
        jobs.worker()
        jobs.wait("the export writing rows", lambda: job_now(jobs.app, job_id).progress_done > 0)
        assert Auth(jobs.app, sandbox).sign_out(client).status_code in (302, 303)
        jobs.wait("the export ended", lambda: not job_now(jobs.app, job_id).live)
    finally:
        sandbox.set_config(latency_ms=0)
    job = job_now(jobs.app, job_id)
    assert job.state == FAILED
    assert job.failure == "your CMS session expired during the export: sign in and export again"
    assert job.progress_total is not None
    assert job.progress_done < job.progress_total  # cut off mid-list, not run to its end
    assert job.result_ref is None


def test_a_rotation_during_the_export_is_written_back_once(jobs: Jobs, sandbox: SandboxHandle) -> None:
    """The access token is due when the job starts: the job refreshes the pair once, writes it into the
    operator's session record, and the operator's next refresh spends the job's refresh token (a spent one
    would end the session: the sandbox revokes a reused token's family)."""
    from webapp.jobs import runner

    client, _ = Auth(jobs.app, sandbox).sign_in(READER)
    job_id, _panel = _ask(client, "csv", status="closed")
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "access_expires_at": 1}
    _sid, before, revision = _stored_session(client)
    sandbox.clear_calls()
    assert runner.execute(jobs.app, jobs.app.extensions["jobs"].settings, job_id) == "done"
    assert len(sandbox.calls(REFRESH)) == 1
    _sid, after, rotated = _stored_session(client)
    assert rotated == revision + 1
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_expires_at"] > 1

    # The operator's pages must refresh now, with the pair the job wrote back.
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "access_expires_at": 1}
    page = client.get(f"/p/{PARTNER_A}/cardholders/")
    assert page.status_code == 200, page.headers.get("Location")
    assert len(sandbox.calls(REFRESH)) == 2
    spent = (before["refresh_token"], after["refresh_token"])
    assert _stored_session(client)[1]["refresh_token"] not in spent
