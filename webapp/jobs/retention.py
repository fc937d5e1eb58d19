"""The daily clean-up as a job: upload history, reports and staged files past their time, and old jobs.

It calls the purge of `flask uploads purge` (webapp/uploads/retention.py) itself rather than a copy, so the
cron command and the job can never disagree. Then it deletes the jobs that finished longer ago than upload
history is kept (UPLOADS_RETENTION_DAYS) and sweeps job result files past their TTL. The purge is imported
when the job runs, not when this module is: the job package stays importable without the uploads blueprint
(there is no import cycle either way: webapp/uploads imports nothing from webapp/jobs).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from webapp.jobs import records
from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.textmarks import N_


def run(context: JobContext) -> Counts:
    from webapp.uploads import retention

    purged = retention.purge(context.app)
    # Finished jobs are kept as long as upload history, with their files while those last.
    cutoff = datetime.now(UTC) - timedelta(days=int(context.app.config["UPLOADS_RETENTION_DAYS"]))
    old = records.delete_finished(cutoff)
    for ref in old:
        context.files.discard(ref)
    counts: Counts = {**asdict(purged), "jobs": len(old), "job_files": context.files.sweep()}
    context.report_progress(1, 1, counts)
    return counts


COUNT_LABELS = {
    "uploads": N_("Uploads deleted"),
    "notes": N_("Upload notes deleted"),
    "keys": N_("Row keys deleted"),
    "staged_files": N_("Staged files deleted"),
    "evidence_files": N_("Evidence files deleted"),
    "jobs": N_("Finished jobs deleted"),
    "job_files": N_("Job files deleted"),
}
KIND = register(
    Kind(
        "retention",
        N_("Clean-up of staged files and reports"),
        run,
        deadline_seconds=3600,
        count_labels=COUNT_LABELS,
    )
)
