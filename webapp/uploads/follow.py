"""Following a sent batch to its end as a background job (`bulk_follow`), in a worker process.

One job is one follow of the CMS progress stream (what a reader thread in the console process did before):
it reads the frames into the upload's row, and on the last one fetches the per-row results into the store
(webapp/uploads/progress.py writes both). The confirm step enqueues the first follow once the CMS took the
batch (webapp/uploads/submit.py); a follow that ends before the batch does (a silent or broken stream, an
ended session) marks the upload stalled, and the next poll or page load enqueues the next follow.

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
* **The same follow is the same job**: its parameters are the upload, the follow's round (when the upload
  last stalled) and the session's reference (the same for the same session and request), so polls while it
  waits or runs answer that job.
"""

from __future__ import annotations

import time
from typing import Final

from flask_login import current_user

from webapp.auth import job_session
from webapp.cms import errors as cms_errors
from webapp.jobs import api
from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.jobs.records import Job
from webapp.store.uploads import IN_FLIGHT, TERMINAL, UploadRecord
from webapp.textmarks import N_
from webapp.uploads import progress, records

KIND_NAME: Final = "bulk_follow"
SESSION_ENDED: Final = N_("the operator's session ended before the batch did; it goes on in the CMS")
LEASE_WAIT_SECONDS: Final = 0.5  # between two looks at another follow's lease
# A follow ends with its stream (MAX_STREAM_SECONDS at most); one past this is stuck. The session is left for
# the job as long as the job may run.
DEADLINE_SECONDS: Final = int(progress.MAX_STREAM_SECONDS + 600)


def start(upload: UploadRecord) -> Job | None:
    """From a request: the follow of this unfinished batch with the operator's session (None when there is
    nothing to follow, no server-side session, or a follow holds the lease now)."""
    if upload.status not in IN_FLIGHT or upload.batch_id is None or progress.lease_alive(upload):
        return None
    request = {
        "upload_id": upload.id,
        "round": upload.stalled_at.isoformat() if upload.stalled_at is not None else "",
    }
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
    token = _lease(context, upload_id, lease)
    if token is None:
        return _counts(records.load(upload_id))

    def frame_seen(upload: UploadRecord) -> None:
        holder.ensure_signed_in()  # a sign-out ends the follow at its next frame, not at the stream's end
        context.report_progress(upload.processed, upload.upstream_total or None, _counts(upload))

    if progress.follow(app, upload_id, holder, token, lease, on_frame=frame_seen) is progress.Ended.SESSION:
        context.fail(SESSION_ENDED)
    # Interrupted (the stream went silent or broke): the upload is marked stalled and the page says "still
    # processing"; the next poll enqueues the next follow. The job itself did its part.
    return _counts(records.load(upload_id))


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
