"""One attempt at one job, in a worker: claim it, keep its heartbeat, run its kind, record how it ended.

The claim is the guard against at-least-once delivery: a task for a job that is not `queued` (done, failed,
or running under another attempt) does nothing. While the kind runs, a heartbeat thread writes the time every
JOBS_HEARTBEAT_SECONDS; a worker killed mid-job stops beating and the reaper (webapp/jobs/queue.py) queues the
job again or fails it.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from webapp.jobs import records
from webapp.jobs.files import results_folder
from webapp.jobs.identity import WORKER
from webapp.jobs.kinds import JobContext, JobFailed, available
from webapp.jobs.settings import JobSettings
from webapp.textmarks import N_

log = logging.getLogger(__name__)
UNKNOWN_KIND = N_("unknown job kind")


class Heartbeat:
    """Beats for one attempt until stopped, or until the job is no longer that attempt's."""

    def __init__(self, app: Flask, job_id: int, attempt: int, every: float) -> None:
        self.app, self.job_id, self.attempt, self.every = app, job_id, attempt, every
        self.stopped = threading.Event()
        self.lost = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def _run(self) -> None:
        with self.app.app_context():
            while not self.stopped.wait(self.every):
                try:
                    records.beat(self.job_id, self.attempt)
                except records.JobLost:
                    self.lost.set()
                    return
                except Exception:  # a database blip: the next beat tries again
                    log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def _drop_result(context: JobContext) -> None:
    if context.result is not None:
        context.files.discard(context.result[0])


def execute(app: Flask, settings: JobSettings, job_id: int) -> str:
    """Run one delivery of the task for `job_id`; answers what happened (for the log and the tests)."""
    with app.app_context():
        job = records.claim(job_id, WORKER)
        if job is None:
            log.info("job %s: not queued any more, nothing to do", job_id)
            return "skipped"
        kind = available(app, job.kind)
        if kind is None:
            records.fail(job_id, UNKNOWN_KIND, attempt=job.attempts)
            return "failed"
        context = JobContext(
            app=app,
            job_id=job_id,
            attempt=job.attempts,
            operator_id=job.operator_id,
            partner_id=job.partner_id,
            params=job.params,
            resume_from=job.progress_done,
            files=results_folder(app.instance_path, settings.result_ttl_seconds),
            cms_limit=settings.cms_concurrency,
        )
        log.info("job %s (%s): attempt %s starts", job_id, job.kind, job.attempts)
        try:
            with Heartbeat(app, job_id, job.attempts, settings.heartbeat_seconds):
                counts = kind.run(context)
            ref, name = context.result or (None, None)
            records.finish(job_id, job.attempts, counts=counts, result_ref=ref, result_name=name)
        except records.JobLost:
            log.warning("job %s: attempt %s was taken over, its work dropped", job_id, job.attempts)
            _drop_result(context)
            return "lost"
        except JobFailed as failure:
            _drop_result(context)
            records.fail(job_id, failure.reason, attempt=job.attempts)
            return "failed"
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.kind)
            _drop_result(context)
            records.fail(job_id, records.UNEXPECTED, attempt=job.attempts)
            return "failed"
        log.info("job %s (%s): done", job_id, job.kind)
        return "done"
