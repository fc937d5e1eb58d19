"""What the rest of the console calls: enqueue a job, find an operator's job, list their jobs.

A job is written to the store first and its task sent second: if the queue is unreachable for a moment the
job waits as `queued` and the reaper sends it again. The same request twice (a double click, a retried post)
has the same idempotency key and answers the job the first one made, without a second task; a caller that
means a new run of the same request puts what makes it new in the parameters (the retention job: its day).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from webapp.access import Operator
from webapp.jobs import records
from webapp.jobs.creating import create_and_send
from webapp.jobs.queue import JobQueue
from webapp.jobs.records import Job


def current_queue() -> JobQueue:
    queue: JobQueue = current_app.extensions["jobs"]
    return queue


def _partner_ids(operator: Operator) -> set[int]:
    return {partner.partner_id for partner in operator.partners}


def _create(kind: str, params: Mapping[str, Any], operator_id: int | None, partner_id: int | None) -> Job:
    queue = current_queue()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return create_and_send(
        app,
        queue.send,
        queue.settings.deadline_seconds,
        kind,
        params,
        operator_id=operator_id,
        partner_id=partner_id,
    )


def enqueue(kind: str, params: Mapping[str, Any], operator: Operator, partner_id: int | None) -> Job:
    """The job for this request of this operator on `partner_id` (None: all of their partners)."""
    if partner_id is not None and partner_id not in _partner_ids(operator):
        raise PermissionError(f"operator {operator.id} does not hold partner {partner_id}")
    return _create(kind, params, operator.id, partner_id)


def enqueue_for_console(kind: str, params: Mapping[str, Any]) -> Job:
    """A job of the console itself (the periodic clean-up): no operator sees it."""
    return _create(kind, params, None, None)


def job_for(operator: Operator, job_id: int, *, partner_id: int) -> Job | None:
    """The job only for its operator on its partner (the URL's, which the access gate checked the operator
    holds); None for anybody else, which the views answer with a 404."""
    if partner_id not in _partner_ids(operator):
        return None
    return records.owned(job_id, operator_id=operator.id, partner_id=partner_id)


def my_jobs(operator: Operator, *, partner_id: int) -> list[Job]:
    if partner_id not in _partner_ids(operator):
        return []
    return records.listed(operator_id=operator.id, partner_id=partner_id)


def finished_for(operator: Operator) -> list[Job]:
    """The operator's jobs that finished since they were last told (each is told once)."""
    return records.take_finished(operator_id=operator.id, partner_ids=_partner_ids(operator))
