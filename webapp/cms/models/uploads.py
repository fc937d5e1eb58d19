"""Bulk upload batches, their rows, and the frames of the progress stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webapp.cms.errors import ApiErrorItem
from webapp.cms.models.readers import (
    as_list,
    as_object,
    bad_field,
    error_items,
    opt_int,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
)

TERMINAL_BATCH_STATUSES = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class RowError:
    row: int | None
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, kw_only=True)
class BatchCounts:
    """What a batch and a progress frame both tell: the batch's state and how far its rows have got."""

    type: str | None
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_BATCH_STATUSES


@dataclass(frozen=True, kw_only=True)
class Batch(BatchCounts):
    id: str
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> Batch:
        w = "batch"
        d = as_object(raw, w)
        batch_id = d.get("id", d.get("batchId"))
        if not isinstance(batch_id, str):
            raise bad_field(w, "id", "is missing or not a string")
        return cls(
            id=batch_id,
            type=opt_str(d, "type", w),
            status=req_str(d, "status", w),
            total=opt_int(d, "total", w, 0) or 0,
            processed=opt_int(d, "processed", w, 0) or 0,
            succeeded=opt_int(d, "succeeded", w, 0) or 0,
            failed=opt_int(d, "failed", w, 0) or 0,
            created_at=opt_timestamp(d, "createdAt", w),
            finished_at=opt_timestamp(d, "finishedAt", w),
        )


@dataclass(frozen=True)
class BatchRow:
    row: int
    status: str
    cardholder_id: int | None
    errors: list[ApiErrorItem]

    @classmethod
    def from_api(cls, raw: Any) -> BatchRow:
        w = "batchRow"
        d = as_object(raw, w)
        return cls(
            row=req_int(d, "row", w),
            status=req_str(d, "status", w),
            cardholder_id=opt_int(d, "cardholderId", w),
            errors=error_items(d.get("errors"), "batchRow.errors"),
        )


@dataclass(frozen=True, kw_only=True)
class ProgressFrame(BatchCounts):
    batch_id: str
    errors: list[RowError]

    @classmethod
    def from_api(cls, raw: Any) -> ProgressFrame:
        w = "progress"
        d = as_object(raw, w)
        errors: list[RowError] = []
        for item in as_list(d.get("errors") or [], "progress.errors"):
            e = as_object(item, "progress.errors")
            code = e.get("code")
            errors.append(
                RowError(
                    row=opt_int(e, "row", "progress.errors"),
                    code=str(code) if code is not None else "",
                    message=str(e.get("message") or ""),
                    field=opt_str(e, "field", "progress.errors"),
                )
            )
        total = opt_int(d, "total", w, 0) or 0
        processed = opt_int(d, "processed", w, 0) or 0
        return cls(
            batch_id=req_str(d, "batchId", w),
            type=opt_str(d, "type", w),
            status=opt_str(d, "status", w) or _status_from_counts(total, processed),
            total=total,
            processed=processed,
            succeeded=opt_int(d, "succeeded", w, 0) or 0,
            failed=opt_int(d, "failed", w, 0) or 0,
            errors=errors,
        )


def _status_from_counts(total: int, processed: int) -> str:
    """Only `batchId` is documented in a frame (KNOWN-API §4.1): without a status, every row processed is
    the end of the batch."""
    return "completed" if total > 0 and processed >= total else "processing"
