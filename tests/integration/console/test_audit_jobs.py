"""The permission audit as a background job, against the sandbox, the queue's tasks run in this process
(tests/integration/console/audit_jobs.py plays the worker).

Covered: the post answers at once with the job's panel (no CMS read in the request) and the panel leads to
the snapshot once done; the job and its file are its operator's on its partner only, and its parts nobody's;
an all-partner run is split into one part per partner and assembled into one snapshot even when a part's
task and the run's task are delivered twice and the assembly runs again; a run whose CMS session ended fails
with the reason, in English and in Spanish; the export is a job whose file is downloaded from its panel; the
run and its parts carry no token nor session id, and a rotation during the run is written back once.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.integration.console.audit_jobs import (
    download_link,
    finished_panel,
    job_of,
    result_link,
    run_queued,
)
from tests.integration.console.test_users_pages import ACCESS_SETTINGS, form_of
from tests.support.auth import Auth
from tests.support.sandbox import SandboxHandle
from webapp.audit.jobs import AUDIT, PART
from webapp.auth import job_session
from webapp.auth.token_holder import REVISION_SUFFIX, TOKENS_KEY
from webapp.cms.errors import SessionEnded
from webapp.jobs import records, runner
from webapp.jobs.kinds import KINDS
from webapp.store import current_store
from webapp.store.audit_snapshots import AuditSnapshot

PARTNER_Q = 3
AUDITOR = ["users:list", "users:detail"]
REFRESH = "POST /app/users/refresh"


pytestmark = pytest.mark.console(**ACCESS_SETTINGS)


def _post_run(client: FlaskClient, partner_id: int = PARTNER_Q, scope: str = "partner") -> int:
    page = client.get(f"/p/{partner_id}/audit/").get_data(as_text=True)
    posted = client.post(f"/p/{partner_id}/audit/run", data={**form_of(page), "scope": scope})
    return job_of(posted, partner_id)


def _jobs(app: Flask, kind: str) -> list[records.Job]:
    with app.app_context(), current_store().session() as db:
        return list(db.scalars(select(records.Job).where(records.Job.kind == kind).order_by(records.Job.id)))


def _snapshots(app: Flask) -> int:
    with app.app_context(), current_store().session() as db:
        return int(db.scalar(select(func.count()).select_from(AuditSnapshot)) or 0)


def test_the_page_answers_at_once_with_the_panel_then_the_result(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    sandbox.clear_calls()
    job_id = _post_run(op.client)
    assert sandbox.calls(f"GET /app/partners/{PARTNER_Q}/users") == []  # nothing read in the request
    page = op.client.get(f"/p/{PARTNER_Q}/jobs/{job_id}").get_data(as_text=True)
    assert 'data-testid="job-panel"' in page
    assert 'data-state="queued"' in page
    assert "hx-trigger" in page  # polls while live

    html = finished_panel(op.client, console, PARTNER_Q, job_id)
    assert "Open the audit" in html
    assert "Partners done" in html
    assert "Users read" in html
    snapshot = op.client.get(result_link(html))
    assert snapshot.status_code == 200
    assert 'data-testid="matrix"' in snapshot.get_data(as_text=True)
    assert sandbox.calls(f"GET /app/partners/{PARTNER_Q}/users")  # read by the job
    listed = op.client.get(f"/p/{PARTNER_Q}/jobs/").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in listed
    parts = _jobs(console, PART)
    assert [part.operator_id for part in parts] == [None]  # a part is nobody's: not in My jobs
    assert f'data-job-id="{parts[0].id}"' not in listed


def test_a_job_is_its_operators_on_its_partner_only(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    owner = auth.sign_in({PARTNER_Q: AUDITOR, 2: AUDITOR})
    job_id = _post_run(owner.client)
    html = finished_panel(owner.client, console, PARTNER_Q, job_id)
    snapshot_link = result_link(html)
    page = owner.client.get(snapshot_link).get_data(as_text=True)
    exported = owner.client.post(f"{snapshot_link}/export.csv", data=form_of(page))
    export_id = job_of(exported, PARTNER_Q)
    download = download_link(finished_panel(owner.client, console, PARTNER_Q, export_id))
    assert owner.client.get(download).status_code == 200

    colleague = auth.sign_in({PARTNER_Q: AUDITOR})
    for job in (job_id, export_id):
        assert colleague.client.get(f"/p/{PARTNER_Q}/jobs/{job}/panel").status_code == 404
        assert owner.client.get(f"/p/2/jobs/{job}/panel").status_code == 404  # the owner, another partner
    assert colleague.client.get(download).status_code == 404
    part = _jobs(console, PART)[0]
    assert owner.client.get(f"/p/{PARTNER_Q}/jobs/{part.id}/panel").status_code == 404


def test_all_partners_split_into_parts_assembled_once_under_double_delivery(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    op = auth.sign_in({2: AUDITOR, PARTNER_Q: AUDITOR})
    job_id = _post_run(op.client, scope="all")
    queue = console.extensions["jobs"]
    # The run splits itself; deliver its task twice, then every part's task twice.
    assert runner.execute(console, queue.settings, job_id) == "done"
    assert runner.execute(console, queue.settings, job_id) == "skipped"
    parts = _jobs(console, PART)
    assert sorted(part.partner_id for part in parts) == [2, PARTNER_Q]
    assert {part.params["parent"] for part in parts} == {job_id}
    for part in parts:
        assert runner.execute(console, queue.settings, part.id) == "skipped"
    run_queued(console)  # the tasks the run sent for its parts: each a no-op now
    assert _snapshots(console) == 1

    # A worker killed after saving the snapshot but before marking the run done: the reaper queues it
    # again, and the next attempt finds its snapshot instead of saving a second one.
    with console.app_context(), current_store().session() as db:
        db.execute(update(records.Job).where(records.Job.id == job_id).values(state=records.QUEUED))
    assert runner.execute(console, queue.settings, job_id) == "done"
    assert _snapshots(console) == 1
    with console.app_context():
        done = records.get(job_id)
    assert done is not None
    assert done.counts is not None
    assert (done.attempts, done.counts["partners"], done.progress_done, done.progress_total) == (2, 2, 2, 2)
    html = op.client.get(f"/p/{PARTNER_Q}/jobs/{job_id}/panel").get_data(as_text=True)
    page = op.client.get(result_link(html)).get_data(as_text=True)
    assert 'data-testid="row-2-' in page
    assert f'data-testid="row-{PARTNER_Q}-' in page


@pytest.mark.parametrize(
    ("lang", "reason"),
    [
        ("en", "your CMS session ended: run the audit again"),
        ("es", "su sesión del CMS terminó: ejecute la auditoría de nuevo"),
    ],
)
def test_a_run_whose_session_ended_fails_with_the_reason(
    auth: Auth, sandbox: SandboxHandle, console: Flask, lang: str, reason: str
) -> None:
    op = auth.sign_in({PARTNER_Q: AUDITOR})
    job_id = _post_run(op.client)
    assert auth.sign_out(op.client).status_code in (302, 303)
    sandbox.clear_calls()
    run_queued(console)
    assert sandbox.calls(f"GET /app/partners/{PARTNER_Q}/users") == []
    with console.app_context():
        failed = records.get(job_id)
    assert failed is not None
    assert (failed.state, failed.failure) == (records.FAILED, "your CMS session ended: run the audit again")
    assert "token" not in str(failed.params).lower()  # the job never carries the session's tokens

    other = auth.sign_in({PARTNER_Q: AUDITOR})
    assert other.client.get(f"/p/{PARTNER_Q}/jobs/{job_id}/panel").status_code == 404
    assert failed.kind == AUDIT
    with console.test_request_context(headers={"Accept-Language": lang}):  # the panel in each language
        html = render_template("jobs/_panel.html", job=failed, partner_id=PARTNER_Q, kinds=KINDS)
    assert reason in html


def test_the_run_and_its_parts_carry_no_token_nor_session_id_and_a_rotation_is_written_back_once(
    auth: Auth, sandbox: SandboxHandle, console: Flask
) -> None:
    """The access token is due when the parts read (each on its threads): one refresh for the whole run,
    written into the operator's session record, whose next refresh spends the run's refresh token (a spent one
    would end the session: the sandbox revokes a reused token's family)."""
    op = auth.sign_in({2: AUDITOR, PARTNER_Q: AUDITOR})
    job_id = _post_run(op.client, scope="all")
    with op.client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "access_expires_at": 1}
        sid, before = str(getattr(session, "sid", "")), dict(session[TOKENS_KEY])
        revision = int(session.get(TOKENS_KEY + REVISION_SUFFIX, 0))
    sandbox.clear_calls()
    finished_panel(op.client, console, PARTNER_Q, job_id)
    assert len(sandbox.calls(REFRESH)) == 1
    with op.client.session_transaction() as session:
        after = dict(session[TOKENS_KEY])
        assert int(session.get(TOKENS_KEY + REVISION_SUFFIX, 0)) == revision + 1
    assert after["refresh_token"] != before["refresh_token"]

    jobs = [*_jobs(console, AUDIT), *_jobs(console, PART)]
    assert len(jobs) == 3
    carried = json.dumps([job.params for job in jobs])
    secrets = [str(value) for value in before.values() if isinstance(value, str) and len(value) > 16]
    assert sid
    assert secrets
    assert not [secret for secret in (sid, *secrets) if secret in carried]
    with console.app_context(), pytest.raises(SessionEnded):  # released with the run
        job_session.borrow(console, str(jobs[0].params["session"]))

    with op.client.session_transaction() as session:  # the operator's page refreshes with the run's pair
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "access_expires_at": 1}
    page = op.client.get(f"/p/{PARTNER_Q}/users/")
    assert page.status_code == 200, page.headers.get("Location")
    assert len(sandbox.calls(REFRESH)) == 2
