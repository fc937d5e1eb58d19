"""What a job kind is and what a running job may do: the registry the worker looks kinds up in.

A kind is a plain function of a `JobContext`. It may be run more than once for one job (delivery is at least
once, and a killed worker's job runs again), so it resumes from `context.resume_from` (the progress it last
reported) and makes every upstream write through the console's exactly-once path (webapp/submit_once.py),
never twice. It answers its counts, writes its file through `context.result_file`, and raises `JobFailed` with
a reason the operator may read; anything else fails the job with a generic reason (details in the log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NoReturn

from flask import Flask

from webapp.jobs import cms_slots, records
from webapp.jobs.files import JobFiles

Counts = dict[str, int]


class JobFailed(Exception):
    """A failure the operator may read about: `reason` is shown on the job panel (mark it with N_)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # English, marked with N_; translated where shown
    run: Callable[[JobContext], Counts | None]
    deadline_seconds: float | None = None  # None: JOBS_DEADLINE_SECONDS
    # Only a console with TESTING on enqueues or runs it: a kind that exists for the tests alone.
    testing_only: bool = False
    # What each of its counts means, marked with N_ (a count without a label shows its key; a kind with
    # labels shows only its labelled counts, so it may keep a reference among them, e.g. a snapshot id).
    count_labels: Mapping[str, str] = field(default_factory=dict)
    # Where a finished job's result is shown, when it is a page rather than a file: (job, partner) → URL.
    result_url: Callable[[records.Job, int], str | None] | None = None
    # Where it is offered: its label on the panel's link, marked with N_.
    result_label: str | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in KINDS and KINDS[kind.name] != kind:
        raise ValueError(f"job kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


def available(app: Flask, name: str) -> Kind | None:
    kind = KINDS.get(name)
    if kind is None or (kind.testing_only and not app.config.get("TESTING")):
        return None
    return kind


@dataclass
class JobContext:
    """One attempt at one job, as the kind's function sees it. Its methods write the job record through the
    app context the runner opened: call them from the job's own thread (a fan-out collects, then reports)."""

    app: Flask
    job_id: int
    attempt: int
    operator_id: int | None
    partner_id: int | None
    params: Mapping[str, Any]
    resume_from: int  # the progress the previous attempt reported (0 on the first)
    files: JobFiles
    cms_limit: int  # JOBS_CMS_CONCURRENCY: how many calls one job may fan out at once
    result: tuple[str, str] | None = field(default=None)  # (ref, download name)

    def report_progress(
        self, done: int, total: int | None = None, counts: Mapping[str, int] | None = None
    ) -> None:
        """Report (and checkpoint) progress; raises JobLost when the job is no longer this attempt's."""
        records.progress(self.job_id, self.attempt, done=done, total=total, counts=counts)

    def fail(self, reason: str) -> NoReturn:
        """End the job as failed with `reason` for the operator (marked with N_ where it is written)."""
        raise JobFailed(reason)

    @contextmanager
    def cms_slot(self) -> Iterator[None]:
        """Hold one CMS slot for one call: at most JOBS_CMS_CONCURRENCY in this process and
        JOBS_CMS_CONCURRENCY_TOTAL across all workers (webapp/jobs/cms_slots.py), so a big job cannot take
        the CMS from page views."""
        with cms_slots.of_app(self.app).slot():
            yield

    @contextmanager
    def result_file(self, download_name: str) -> Iterator[BinaryIO]:
        """Write the job's result file (one per job); it is the operator's once the job finishes."""
        ref = self.files.new_ref()
        with self.files.writing(ref) as handle:
            yield handle
        self.files.write_record(
            ref, {"partnerId": self.partner_id, "operatorId": self.operator_id, "jobId": self.job_id}
        )
        if self.result is not None:
            self.files.discard(self.result[0])
        self.result = (ref, download_name)
