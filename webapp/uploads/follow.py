"""Following a sent batch to its end as a background job (`bulk_follow`), in a worker process.

One job follows one batch for its operator, however often the CMS progress stream breaks: it reads the frames
into the upload's row, and on the last one fetches the per-row results into the store (webapp/uploads/
progress.py writes both). The confirm step enqueues it once the CMS took the batch (webapp/uploads/submit.py).

* **Stalls are rounds of the same job**: a stream that goes silent or breaks marks the upload stalled (the
  page says "still processing") and lets the lease go; the job pauses, asks the CMS for the batch's status
  itself, and reads the stream again. So the operator's "My jobs" shows one follow, running until the batch
  ends. It gives up only after QUIET_ROUNDS rounds in a row without any progress (or past its time), and then
  says so: it fails with CUT_OFF ("it goes on in the CMS"), never "done" for a batch it did not see end.
* **One follow per operator and upload**: a poll while it runs (or pauses) answers that job, not a new one;
  after it ended short of the batch's end (a dead worker, stuck) the next poll enqueues the next follow —
  except after CUT_OFF or an ended session: then only a page load does (the operator asked), so a tab left
  open does not follow a dead stream, or a session the CMS refuses, again every few seconds. The job's
  parameters are the upload, the operator's previous follow of it (what makes the next one new) and the
  session's reference.
* **One reader at a time, on any node**: the job holds the upload's reader lease while it reads. A second
  delivery of the task does nothing (the job is claimed once, webapp/jobs/runner.py); another operator's
  follow waits for the lease. A worker killed mid-follow is retried by the reaper: the retry takes over its
  own job's lease at once and reads again from the store's state. Counts are overwritten and the results
  replace the upload's earlier ones, so a second read leaves no duplicate row.
* **The operator's CMS session**: the stream is read with the operator's tokens, through their server-side
  session record, left for the job as for every job that calls the CMS as its operator
  (webapp/auth/job_session.py): the job's parameters carry its reference, never a token nor the session id.
  A session signed out or expired (before the follow, or at any frame of it) ends the follow with a reason,
  and the upload says "still processing".
"""

from __future__ import annotations

import time
from typing import Final

from flask_login import current_user
from sqlalchemy import select

from webapp.auth import job_session
from webapp.cms import errors as cms_errors
from webapp.jobs import api
from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.jobs.records import Job
from webapp.store import current_store
from webapp.store.uploads import IN_FLIGHT, TERMINAL, UploadRecord
from webapp.textmarks import N_
from webapp.uploads import progress, records

KIND_NAME: Final = "bulk_follow"
SESSION_ENDED: Final = N_("the operator's session ended before the batch did; it goes on in the CMS")
CUT_OFF: Final = N_("the CMS stopped reporting the batch's progress; it goes on in the CMS: open the upload")
LEASE_WAIT_SECONDS: Final = 0.5  # between two looks at another follow's lease
QUIET_ROUNDS: Final = 3  # stream rounds in a row that bring no progress before the follow gives up
PAUSE_MAX_SECONDS: Final = 10.0  # between two rounds (the idle timeout when shorter)
# Rounds start during MAX_STREAM_SECONDS at most and the last one lasts as long at most; one past this is
# stuck. The session is left for the job as long as the job may run.
DEADLINE_SECONDS: Final = int(2 * progress.MAX_STREAM_SECONDS + 600)


def _latest(operator_id: int, upload: UploadRecord) -> Job | None:
    """The operator's most recent follow of this upload."""
    with current_store().session() as db:
        query = (
            select(Job)
            .where(
                Job.operator_id == operator_id,
                Job.partner_id == upload.partner_id,
                Job.kind == KIND_NAME,
                Job.params["upload_id"].as_integer() == upload.id,
            )
            .order_by(Job.id.desc())
            .limit(1)
        )
        return db.scalars(query).first()


def start(upload: UploadRecord, *, asked: bool = False) -> Job | None:
    """From a request: the operator's follow of this unfinished batch, running or new (None when there is
    nothing to follow, no server-side session, or another operator's follow holds the lease now). A follow
    that gave up, or whose session ended, is followed again only when the operator `asked` (a page load), so
    a tab left open does not start one every few seconds."""
    if upload.status not in IN_FLIGHT or upload.batch_id is None or progress.lease_alive(upload):
        return None
    latest = _latest(current_user.id, upload)
    if latest is not None and latest.live:
        return latest
    if latest is not None and latest.failure in (CUT_OFF, SESSION_ENDED) and not asked:
        return None
    request = {"upload_id": upload.id, "after": latest.id if latest is not None else 0}
    try:
        reference = job_session.leave(KIND_NAME, request, ttl=DEADLINE_SECONDS)
        return api.enqueue(KIND_NAME, {**request, "session": reference}, current_user, upload.partner_id)
    except (cms_errors.SessionEnded, PermissionError):
        return None


def _counts(upload: UploadRecord | None) -> Counts:
    if upload is None:
        return {}
    return {"processed": upload.processed, "succeeded": upload.succeeded, "failed": upload.failed}


def _finished(upload: UploadRecord | None) -> bool:
    return upload is None or (upload.status in TERMINAL and upload.results_fetched)


def _lease(context: JobContext, upload_id: int, seconds: float) -> str | None:
    """Take the upload's reader lease for this attempt (at once from an earlier attempt of this job; after
    another follow's lease lapsed otherwise); None when the batch finished meanwhile."""
    token = f"{context.job_id}.{context.attempt}"
    while True:
        if progress.take_lease(upload_id, token, seconds, own_prefix=f"{context.job_id}."):
            return token
        upload = records.load(upload_id)
        if upload is None or upload.status not in IN_FLIGHT:
            return None
        context.report_progress(upload.processed, upload.upstream_total or None, _counts(upload))
        time.sleep(LEASE_WAIT_SECONDS)


def run(context: JobContext) -> Counts:
    with job_session.kept_until_the_end(context.app, str(context.params.get("session") or "")):
        return _follow(context)


def _follow(context: JobContext) -> Counts:
    app = context.app
    upload_id = int(context.params["upload_id"])
    upload = records.load(upload_id)
    if _finished(upload) or upload is None or upload.batch_id is None:
        return _counts(upload)  # a second delivery after the end: nothing to do
    try:
        holder = job_session.borrow(app, str(context.params.get("session") or "")).tokens
    except cms_errors.SessionEnded:  # signed out or expired before the follow could start
        progress.mark_stalled(upload_id)
        context.fail(SESSION_ENDED)
    lease = progress.idle_seconds(app) + progress.LEASE_GRACE_SECONDS
    rounds_until = time.monotonic() + progress.MAX_STREAM_SECONDS
    quiet, before = 0, _where(upload)
    while (token := _lease(context, upload_id, lease)) is not None:
        if _round(context, upload_id, holder, token, lease) is progress.Ended.FINISHED:
            break
        # Interrupted: the upload is marked stalled (the page says "still processing") and the lease is free.
        time.sleep(min(progress.idle_seconds(app), PAUSE_MAX_SECONDS))
        if _status_read(context, upload_id, holder):
            break
        now = _where(records.load(upload_id))
        quiet, before = (quiet + 1 if now == before else 0), now
        if quiet >= QUIET_ROUNDS or time.monotonic() >= rounds_until:
            context.fail(CUT_OFF)  # the upload stays "still processing"; a page load follows it again
    return _counts(records.load(upload_id))


def _where(upload: UploadRecord | None) -> tuple[str, int]:
    """What tells a round that brought progress from one that did not."""
    return (upload.status, upload.processed) if upload is not None else ("", 0)


def _round(
    context: JobContext, upload_id: int, holder: job_session.JobTokens, token: str, lease: float
) -> progress.Ended:
    """One read of the progress stream under the lease `token`; a session that ended fails the job."""

    def frame_seen(upload: UploadRecord) -> None:
        holder.ensure_signed_in()  # a sign-out ends the follow at its next frame, not at the stream's end
        context.report_progress(upload.processed, upload.upstream_total or None, _counts(upload))

    ended = progress.follow(context.app, upload_id, holder, token, lease, on_frame=frame_seen)
    if ended is progress.Ended.SESSION:
        context.fail(SESSION_ENDED)
    return ended


def _status_read(context: JobContext, upload_id: int, holder: job_session.JobTokens) -> bool:
    """Between two rounds, the batch's status asked directly (its results fetched if it ended); answers
    whether the batch is finished and in the store."""
    upload = records.load(upload_id)
    if _finished(upload) or upload is None:
        return True
    try:
        progress.refresh_now(upload, holder)
    except cms_errors.SessionEnded:
        context.fail(SESSION_ENDED)
    except cms_errors.CmsError:
        pass  # the stream is read again all the same
    fresh = records.load(upload_id)
    context.report_progress(fresh.processed if fresh else 0, None, _counts(fresh))
    return _finished(fresh)


KIND = register(
    Kind(
        KIND_NAME,
        N_("Following a bulk upload"),
        run,
        deadline_seconds=DEADLINE_SECONDS,
        count_labels={
            "processed": N_("Rows processed"),
            "succeeded": N_("Rows created"),
            "failed": N_("Rows failed"),
        },
    )
)
