"""Writing a job and sending its task: the one sequence behind every way a job starts.

The record comes first and the task second: if the queue is unreachable for a moment the job waits as
`queued` and the reaper sends it again (webapp/jobs/queue.py). The same request twice answers the job the
first one made, without a second task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from webapp.jobs import records
from webapp.jobs.kinds import available
from webapp.jobs.records import Job

log = logging.getLogger(__name__)


class UnknownKind(ValueError):
    """No such job kind here (or one for the tests only, outside them)."""


def create_and_send(
    app: Flask,
    send: Callable[[int], None],
    default_deadline: float,
    kind: str,
    params: Mapping[str, Any],
    *,
    operator_id: int | None,
    partner_id: int | None,
) -> Job:
    found = available(app, kind)
    if found is None:
        raise UnknownKind(kind)
    job, created = records.create(
        kind,
        params,
        operator_id=operator_id,
        partner_id=partner_id,
        deadline_seconds=found.deadline_seconds or default_deadline,
    )
    if created:
        try:
            send(job.id)
        except Exception:  # the record is kept: the reaper sends its task again once the queue answers
            log.exception("job %s: its task could not be sent now", job.id)
    return job
