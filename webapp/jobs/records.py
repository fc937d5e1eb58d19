"""The job record in the console store: what a background job is, whose it is and where it stands.

The queue (webapp/jobs/queue.py) carries nothing but a job id; everything an operator sees and everything a
retry needs lives here, so a console or worker restart loses nothing. Every change of state is one guarded
UPDATE: a worker holds a job only while the row says `running` with the attempt number it claimed, so a
worker the reaper gave up on (killed, or just too slow) cannot overwrite what the next attempt writes.
No Flask in here but the store handle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import JSON, Index, Integer, String, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.store import current_store
from webapp.store.models import Base
from webapp.textmarks import N_

QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
LIVE: Final = (QUEUED, RUNNING)

# Reasons the console itself gives; stored in English and translated when shown (the template's |translate).
STUCK: Final = N_("stuck past its deadline")
WORKER_LOST: Final = N_("the worker stopped during every attempt")
UNEXPECTED: Final = N_("an unexpected error (the worker's log has the details)")
REASON_MAX: Final = 300
LISTED_MAX: Final = 50


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    # None for the console's own jobs (the periodic clean-up): no operator ever sees those.
    operator_id: Mapped[int | None]
    # None for a job over all of the operator's partners.
    partner_id: Mapped[int | None]
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # One job per (kind, operator, partner, parameters): the same request twice is the same job.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))
    progress_done: Mapped[int]
    progress_total: Mapped[int | None]
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The result file: a reference in the jobs' private folder (webapp/jobs/files.py) and its download name.
    result_ref: Mapped[str | None] = mapped_column(String(32))
    result_name: Mapped[str | None] = mapped_column(String(200))
    failure: Mapped[str | None] = mapped_column(String(REASON_MAX))
    attempts: Mapped[int]
    # Which worker (host:pid) holds or last held it: for the operator of the console, and the tests.
    worker: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Written by the worker while it runs the job (and when the job is queued): stale means nobody holds it.
    heartbeat_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    # When the operator was told it finished (the toast), so it is told once.
    notified_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ux_jobs_idempotency_key", "idempotency_key", unique=True),
        Index("ix_jobs_operator_created", "operator_id", "created_at"),
        Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),
    )

    @property
    def live(self) -> bool:
        return self.state in LIVE

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))


class JobLost(Exception):
    """The job is no longer this attempt's: the reaper requeued or failed it, or it passed its deadline."""


def now() -> datetime:
    return datetime.now(UTC)


def key_for(kind: str, operator_id: int | None, partner_id: int | None, params: Mapping[str, Any]) -> str:
    """The idempotency key: a digest of everything that makes two requests the same request."""
    canonical = json.dumps([kind, operator_id, partner_id, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create(
    kind: str,
    params: Mapping[str, Any],
    *,
    operator_id: int | None,
    partner_id: int | None,
    deadline_seconds: float,
) -> tuple[Job, bool]:
    """The job for this request: a new queued one (True), or the one the same request already made (False)."""
    key = key_for(kind, operator_id, partner_id, params)
    moment = now()
    job = Job(
        kind=kind,
        operator_id=operator_id,
        partner_id=partner_id,
        params=dict(params),
        idempotency_key=key,
        state=QUEUED,
        progress_done=0,
        attempts=0,
        created_at=moment,
        heartbeat_at=moment,
        deadline_at=moment + timedelta(seconds=deadline_seconds),
    )
    try:
        with current_store().session() as db:
            db.add(job)
        return job, True
    except IntegrityError:
        with current_store().session() as db:
            existing = db.scalars(select(Job).where(Job.idempotency_key == key)).one()
        return existing, False


def get(job_id: int) -> Job | None:
    with current_store().session() as db:
        return db.get(Job, job_id)


def owned(job_id: int, *, operator_id: int, partner_id: int) -> Job | None:
    """The job only for its operator on its partner (a job over all partners: on any); None otherwise."""
    job = get(job_id)
    if job is None or job.operator_id is None or job.operator_id != operator_id:
        return None
    if job.partner_id is not None and job.partner_id != partner_id:
        return None
    return job


def listed(*, operator_id: int, partner_id: int, limit: int = LISTED_MAX) -> list[Job]:
    """The operator's jobs on this partner (and over all partners), newest first."""
    with current_store().session() as db:
        return list(
            db.scalars(
                select(Job)
                .where(
                    Job.operator_id == operator_id,
                    or_(Job.partner_id.is_(None), Job.partner_id == partner_id),
                )
                .order_by(Job.created_at.desc(), Job.id.desc())
                .limit(limit)
            )
        )


def _set(condition: Any, **values: Any) -> int:
    with current_store().session() as db:
        statement = update(Job).where(condition).values(**values)
        result = db.execute(statement.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


def claim(job_id: int, worker: str | None = None) -> Job | None:
    """Take a queued job for one attempt (answers it with its new attempt number), or None when it is not
    queued: already running elsewhere, done or failed. This is what makes a delivered-twice task harmless."""
    moment = now()
    taken = _set(
        and_(Job.id == job_id, Job.state == QUEUED, Job.deadline_at > moment),
        state=RUNNING,
        attempts=Job.attempts + 1,
        heartbeat_at=moment,
        started_at=moment,
        worker=worker,
    )
    return get(job_id) if taken else None


def _held(job_id: int, attempt: int) -> Any:
    return and_(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)


def beat(job_id: int, attempt: int) -> None:
    if not _set(_held(job_id, attempt), heartbeat_at=now()):
        raise JobLost(job_id)


def progress(
    job_id: int, attempt: int, *, done: int, total: int | None, counts: Mapping[str, Any] | None
) -> None:
    values: dict[str, Any] = {"progress_done": done, "heartbeat_at": now()}
    if total is not None:
        values["progress_total"] = total
    if counts is not None:
        values["counts"] = dict(counts)
    if not _set(_held(job_id, attempt), **values):
        raise JobLost(job_id)


def finish(
    job_id: int,
    attempt: int,
    *,
    counts: Mapping[str, Any] | None = None,
    result_ref: str | None = None,
    result_name: str | None = None,
) -> None:
    values: dict[str, Any] = {"state": DONE, "finished_at": now(), "result_ref": result_ref}
    values["result_name"] = result_name
    if counts is not None:
        values["counts"] = dict(counts)
    if not _set(_held(job_id, attempt), **values):
        raise JobLost(job_id)


def fail(job_id: int, reason: str, *, attempt: int | None = None) -> bool:
    """Mark a live job failed (only the given attempt's, when given); answers whether it was."""
    condition = _held(job_id, attempt) if attempt is not None else and_(Job.id == job_id, Job.state.in_(LIVE))
    return bool(_set(condition, state=FAILED, finished_at=now(), failure=reason[:REASON_MAX]))


@dataclass(frozen=True)
class Reaped:
    requeued: tuple[int, ...]  # running jobs whose worker stopped beating: queued again for another attempt
    resent: tuple[int, ...]  # queued jobs nobody took for a while: their task is sent again (harmless twice)
    failed: tuple[int, ...]  # past their deadline, or out of attempts


def reap(
    *, stale_seconds: float, max_attempts: int, resend_waiting: bool = True, moment: datetime | None = None
) -> Reaped:
    """One pass over the live jobs, as of `moment`: what the caller must enqueue again, and what failed.

    Queued jobs are sent again only when `resend_waiting` (the caller saw an empty queue: their task was
    lost); with a backlog their tasks are still on their way, and sending more would only grow it."""
    current = moment or now()
    stale = current - timedelta(seconds=stale_seconds)
    failed: list[int] = []
    with current_store().session() as db:
        late = db.scalars(select(Job.id).where(Job.state.in_(LIVE), Job.deadline_at <= current)).all()
    for job_id in late:
        live = and_(Job.id == job_id, Job.state.in_(LIVE))
        if _set(live, state=FAILED, finished_at=current, failure=STUCK):
            failed.append(job_id)
    with current_store().session() as db:
        abandoned = db.execute(
            select(Job.id, Job.attempts).where(Job.state == RUNNING, Job.heartbeat_at < stale)
        ).all()
        waiting = (
            db.scalars(select(Job.id).where(Job.state == QUEUED, Job.heartbeat_at < stale)).all()
            if resend_waiting
            else []
        )
    requeued: list[int] = []
    for job_id, attempts in abandoned:
        if attempts >= max_attempts:
            if _set(_held(job_id, attempts), state=FAILED, finished_at=current, failure=WORKER_LOST):
                failed.append(job_id)
        elif _set(_held(job_id, attempts), state=QUEUED, heartbeat_at=current):
            requeued.append(job_id)
    resent = [
        job_id
        for job_id in waiting
        if _set(and_(Job.id == job_id, Job.state == QUEUED, Job.heartbeat_at < stale), heartbeat_at=current)
    ]
    return Reaped(requeued=tuple(requeued), resent=tuple(resent), failed=tuple(failed))


def delete_finished(before: datetime) -> list[str | None]:
    """Delete the jobs that finished before `before`; answers their result files' references."""
    finished = and_(Job.state.in_((DONE, FAILED)), Job.finished_at < before)
    with current_store().session() as db:
        refs = list(db.scalars(select(Job.result_ref).where(finished)))
        db.execute(delete(Job).where(finished).execution_options(synchronize_session=False))
    return refs


def take_finished(*, operator_id: int, partner_ids: Collection[int]) -> list[Job]:
    """The operator's jobs that finished since they were last told, marked as told (each is told once)."""
    with current_store().session() as db:
        jobs = list(
            db.scalars(
                select(Job)
                .where(
                    Job.operator_id == operator_id,
                    Job.state.in_((DONE, FAILED)),
                    Job.notified_at.is_(None),
                    or_(Job.partner_id.is_(None), Job.partner_id.in_(list(partner_ids))),
                )
                .order_by(Job.finished_at)
                .limit(5)
            )
        )
    return [job for job in jobs if _set(and_(Job.id == job.id, Job.notified_at.is_(None)), notified_at=now())]

