"""The permission audit and its exports as background jobs (webapp/jobs): nothing fans out in a request.

* `audit`: the run the operator asked for (one partner or all of theirs). It splits the run into one
  `audit_part` per partner, sent to the queue so any worker on any node may take one, and takes queued parts
  itself while it waits (so one worker thread alone still finishes, and the tests run it in-process). When
  every part is done it assembles the snapshot, once: the snapshot carries the moment the job was asked for,
  and the assembly looks for it under a cross-node lock before saving, so a retried or twice-delivered
  assembly finds the one it saved. Progress: partners done / total, users read.
* `audit_part`: one partner's users and their permissions, read as the operator (the session the run's
  request left for it, webapp/auth/job_session.py, whose reference the run hands each part; the run releases
  it when it ends) with every call in one of the worker's CMS slots (JOBS_CMS_CONCURRENCY). Its reading is
  kept on its own job record, which nobody is shown (a part has no operator), until the assembly.
  A part is a job like any other: claimed once, its dead worker's attempt queued again by the reaper.
* `audit_export`: a snapshot's matrix as CSV or XLSX, written to the job's result file in the operator's
  language and downloaded from the job's panel.

A CMS session that ended (signed out, expired, refused refresh) fails the job with SESSION_ENDED; any other
CMS failure fails it too (half an audit misleads: nothing is saved).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import cast

import flask_babel
from flask import Flask, url_for
from sqlalchemy import select

from webapp.audit import export, rules
from webapp.audit.collect import collect
from webapp.audit.data import AuditData
from webapp.auth import backend, job_session
from webapp.cms import errors
from webapp.files.export import attachment_filename, csv_chunks, write_xlsx_export
from webapp.formatting import display_zone
from webapp.jobs import records, runner
from webapp.jobs.creating import create_and_send
from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.jobs.queue import JobQueue
from webapp.store import current_store
from webapp.store.audit import record_event
from webapp.store.audit_snapshots import get_snapshot, save_snapshot, snapshot_of_run
from webapp.textmarks import N_
from webapp.textmarks import gettext as _

AUDIT: str = "audit"
PART: str = "audit_part"
EXPORT: str = "audit_export"
SESSION_ENDED = N_("your CMS session ended: run the audit again")
UPSTREAM_FAILED = N_("the CMS did not answer every read: run the audit again")
PART_LOST = N_("a part of the audit could not be read")
SNAPSHOT_GONE = N_("the audit to export no longer exists")
WAIT_SECONDS = 0.2  # between two looks at the parts, when none is left to take


def _queue(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions["jobs"]
    return queue


# -- one partner -------------------------------------------------------------------------------------------


def run_part(context: JobContext) -> Counts:
    partner_id = int(context.params["partner"])
    from webapp.upstream import cms

    try:
        holder = job_session.borrow(context.app, str(context.params.get("session") or "")).tokens
        data = collect(cms(), holder, {partner_id: ""}, workers=context.cms_limit, slot=context.cms_slot)
    except errors.SessionEnded:
        context.fail(SESSION_ENDED)
    except errors.CmsError:
        context.fail(UPSTREAM_FAILED)
    reads = len(data.grants.get(partner_id, {}))
    context.report_progress(1, 1)
    # What it read rides on its own (never shown) record until the assembly takes it.
    return cast(Counts, {"users": len(data.users), "reads": reads, "data": data.to_json()})


# -- the run -----------------------------------------------------------------------------------------------


def _parts(app: Flask, context: JobContext, partner_ids: list[int]) -> list[int]:
    queue = _queue(app)
    made = [
        create_and_send(
            app,
            queue.send,
            queue.settings.deadline_seconds,
            PART,
            {"parent": context.job_id, "partner": pid, "session": context.params.get("session")},
            operator_id=None,
            partner_id=pid,
        )
        for pid in partner_ids
    ]
    return [part.id for part in made]


def _states(part_ids: list[int]) -> list[records.Job]:
    with current_store().session() as db:
        return list(db.scalars(select(records.Job).where(records.Job.id.in_(part_ids))))


def _wait_for_parts(context: JobContext, part_ids: list[int]) -> list[records.Job]:
    """Every part done; takes queued parts itself meanwhile. A failed part fails the run with its reason."""
    queue = _queue(context.app)
    while True:
        parts = _states(part_ids)
        failed = next((p for p in parts if p.state == records.FAILED), None)
        if failed is not None:
            for other in parts:  # half an audit is never saved: the other parts' reads would be wasted
                if other.live:
                    records.fail(other.id, failed.failure or PART_LOST)
            context.fail(failed.failure or PART_LOST)
        done = [p for p in parts if p.state == records.DONE]
        users = sum(int((p.counts or {}).get("users", 0)) for p in done)
        context.report_progress(len(done), len(part_ids), {"partners": len(done), "users": users})
        if len(done) == len(part_ids):
            return parts
        waiting = next((p for p in parts if p.state == records.QUEUED), None)
        if waiting is not None:
            runner.execute(context.app, queue.settings, waiting.id)  # claimed once: a no-op if taken
        else:
            time.sleep(WAIT_SECONDS)


def _assemble(names: Mapping[int, str], parts: list[records.Job]) -> AuditData:
    data = AuditData(partners=dict(names))
    for part in sorted(parts, key=lambda p: p.partner_id or 0):
        read = AuditData.from_json((part.counts or {}).get("data") or {})
        data.users.update(read.users)
        for pid, by_user in read.grants.items():
            data.grants[pid] = by_user
    return data


def run_audit(context: JobContext) -> Counts:
    with job_session.kept_until_the_end(context.app, str(context.params.get("session") or "")):
        return _run_audit(context)


def _run_audit(context: JobContext) -> Counts:
    params = context.params
    app = context.app
    scope = [int(pid) for pid in params["partners"]]
    names = {int(pid): str(name) for pid, name in params["names"].items()}
    # The run itself reads nothing: each part borrows the session (and fails with SESSION_ENDED without
    # it), so a retried assembly whose parts are all done needs no session.
    parts = _wait_for_parts(context, _parts(app, context, scope))
    job = records.get(context.job_id)
    assert job is not None  # it is this attempt's: report_progress would have raised
    with backend.cross_node_lock(app, f"audit-job:{context.job_id}"):
        snapshot = snapshot_of_run(scope, context.operator_id, job.created_at)
        data = _assemble(names, parts)
        if snapshot is None:
            snapshot = save_snapshot(
                partner_ids=scope,
                dormant_days=int(params["dormant_days"]),
                data=data.to_json(),
                actor_id=context.operator_id,
                actor_email=str(params.get("actor_email") or "") or None,
                user_count=len(data.users),
                grant_count=data.grant_count,
                created_at=job.created_at,
            )
            record_event(
                "permission_audit_run",
                outcome="success",
                partner_id=context.partner_id,
                target=f"audit_snapshot:{snapshot.id}",
                detail={"partners": scope, "users": len(data.users), "grants": data.grant_count},
                actor_id=context.operator_id,
                actor_email=snapshot.actor_email,
            )
    return {
        "partners": len(parts),
        "users": len(data.users),
        "grants": data.grant_count,
        "snapshot": snapshot.id,
    }


def snapshot_url(job: records.Job, partner_id: int) -> str | None:
    snapshot_id = (job.counts or {}).get("snapshot")
    if not snapshot_id:
        return None
    return url_for("audit.snapshot", partner_id=partner_id, snapshot_id=int(snapshot_id))


# -- the export --------------------------------------------------------------------------------------------


def run_export(context: JobContext) -> Counts:
    params = context.params
    found = get_snapshot(int(params["snapshot"]))
    if found is None:
        context.fail(SNAPSHOT_GONE)
    fmt = "xlsx" if params.get("format") == "xlsx" else "csv"
    data = AuditData.from_json(found.data)
    matrix = rules.matrix(data, found.created_at, found.dormant_days)
    names = data.permission_names()
    stem = f"permission-audit-{found.id}-{found.created_at.strftime('%Y%m%d-%H%M')}"
    zone = display_zone()
    with flask_babel.force_locale(str(params.get("locale") or "en")):
        columns = export.header(names, _, getattr(zone, "key", str(zone)))
        rows = export.rows(data, matrix, names, _)
        with context.result_file(attachment_filename(stem, fmt)) as handle:
            if fmt == "csv":
                for chunk in csv_chunks(columns, rows, zone=zone):
                    handle.write(chunk)
            else:
                write_xlsx_export(handle, columns, rows, sheet_name=_("Audit"), zone=zone)
    record_event(
        "permission_audit_export",
        outcome="success",
        partner_id=context.partner_id,
        target=f"audit_snapshot:{found.id}",
        detail={"format": fmt},
        actor_id=context.operator_id,
        actor_email=str(params.get("actor_email") or "") or None,
    )
    context.report_progress(len(matrix), len(matrix))
    return {"rows": len(matrix)}


register(
    Kind(
        AUDIT,
        N_("Permission audit"),
        run_audit,
        count_labels={"partners": N_("Partners done"), "users": N_("Users read"), "grants": N_("Grants")},
        result_url=snapshot_url,
        result_label=N_("Open the audit"),
    )
)
register(Kind(PART, N_("Permission audit, one partner"), run_part, count_labels={"users": N_("Users read")}))
register(Kind(EXPORT, N_("Permission audit export"), run_export, count_labels={"rows": N_("Rows")}))
