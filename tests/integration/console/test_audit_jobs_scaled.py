"""Scaled out: an all-partner permission audit split across two worker processes sharing a Redis queue.

Two "nodes" (`python -m webapp.jobs` processes) share the queue on Redis, the store and the session records,
as two console nodes do. The audit's parts (one per partner) are taken by both workers and the run is
assembled into one snapshot. Needs the local Redis: skipped with the reason when it is not reachable, a
failure under CI (CI=true), as tests/integration/console/test_jobs_scaled.py does.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.console.audit_jobs import job_of
from tests.integration.console.test_jobs import Jobs, job_now
from tests.integration.console.test_jobs_scaled import REDIS_URL, _ready, _require_redis
from tests.integration.console.test_users_pages import form_of
from tests.support.auth import Auth
from tests.support.console import console_config
from tests.support.sandbox import SandboxHandle
from webapp.audit.jobs import PART
from webapp.jobs import records
from webapp.store import current_store

pytestmark = pytest.mark.scaled
PARTNERS = (1, 2, 3)  # the sandbox's seeded partners
AUDITOR = ["users:list", "users:detail"]


@pytest.fixture
def nodes(sandbox: SandboxHandle, clean_faults: SandboxHandle, tmp_path: Path) -> Iterator[Jobs]:
    _require_redis()
    upstream = {
        key: value
        for key, value in console_config(sandbox, tmp_path).items()
        if key.startswith("CMS_") or key == "SANDBOX_PUBLIC_URL"
    }
    handle = Jobs(
        tmp_path / "instance",
        **upstream,
        JOBS_BROKER_URL=REDIS_URL,
        JOBS_QUEUE_NAME=f"console-jobs-test-{uuid.uuid4().hex}",
        LOGIN_RATE_LIMIT="200 per minute",
        OTP_RATE_LIMIT="200 per minute",
    )
    try:
        yield handle
    finally:
        handle.stop()
        handle.app.extensions["jobs"].huey.storage.flush_all()


def test_an_all_partner_audit_is_split_across_two_workers(
    nodes: Jobs, sandbox: SandboxHandle, clean_faults: SandboxHandle
) -> None:
    for pid in PARTNERS:  # each read held 60 ms upstream, so a part lasts long enough to be shared
        clean_faults.set_fault(f"GET /app/users/*/partners/{pid}/permissions", "delay", ms=60)
    op = Auth(nodes.app, sandbox).sign_in(dict.fromkeys(PARTNERS, AUDITOR))
    workers = [
        nodes.worker("node-a", "--workers", "2"),
        nodes.worker("node-b", "--workers", "2", "--no-periodic"),
    ]
    nodes.wait("both workers up", lambda: all(_ready(worker.log_path) for worker in workers))

    page = op.client.get("/p/1/audit/").get_data(as_text=True)
    job_id = job_of(op.client.post("/p/1/audit/run", data={**form_of(page), "scope": "all"}), 1)
    nodes.wait("the audit done", lambda: job_now(nodes.app, job_id).state == records.DONE, seconds=60)

    with nodes.app.app_context(), current_store().session() as db:
        parts = list(db.scalars(select(records.Job).where(records.Job.kind == PART)))
    assert sorted(part.partner_id for part in parts) == list(PARTNERS)
    assert {part.state for part in parts} == {records.DONE}
    pids = {f"{socket.gethostname()[:60]}:{worker.process.pid}" for worker in workers}
    assert {part.worker for part in parts} == pids  # both nodes took parts
    done = job_now(nodes.app, job_id)
    assert done.counts is not None
    assert done.counts["partners"] == len(PARTNERS)
    assert op.client.get(f"/p/1/audit/{done.counts['snapshot']}").status_code == 200
