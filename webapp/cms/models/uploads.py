"""Bulk upload batches, their rows, and the frames of the progress stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from webapp.cms.errors import ApiErrorItem
from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.readers import Json, bad_field, count, errors_at, list_of, opt_str

TERMINAL_BATCH_STATUSES = frozenset({"completed", "failed"})


def _text(d: Json, key: str, where: str) -> str:
    value = d.get(key)
    return str(value) if value is not None else ""


def _message(d: Json, key: str, where: str) -> str:
    return str(d.get(key) or "")


class RowError(ApiModel, where="progress.errors"):
    row: int | None
    code: str = api(_text)
    message: str = api(_message)
    field: str | None = None


class BatchCounts(ApiModel, kw_only=True):
    """What a batch and a progress frame both tell: the batch's state and how far its rows have got."""

    type: str | None
    status: str
    total: int = api(count)
    processed: int = api(count)
    succeeded: int = api(count)
    failed: int = api(count)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_BATCH_STATUSES


def _batch_id(d: Json, key: str, where: str) -> str:
    """The batch's id, under `id` or (as in the create answer) `batchId`."""
    batch_id = d.get(key, d.get("batchId"))
    if not isinstance(batch_id, str):
        raise bad_field(where, key, "is missing or not a string")
    return batch_id


class Batch(BatchCounts, where="batch", kw_only=True):
    id: str = api(_batch_id)
    created_at: datetime | None
    finished_at: datetime | None


class BatchRow(ApiModel, where="batchRow"):
    row: int
    status: str
    cardholder_id: int | None
    errors: list[ApiErrorItem] = api(errors_at)


class ProgressFrame(BatchCounts, where="progress", kw_only=True):
    batch_id: str
    # Only `batchId` is documented in a frame (docs/cms-api.md §4.1): the status may be left out.
    status: str = api(opt_str)
    errors: list[RowError] = api(list_of(RowError.from_api, null_is_empty=True))

    @classmethod
    def from_api(cls, raw: Any, where: str | None = None) -> Self:
        """Without a status, every row processed is the end of the batch."""
        _, fields = cls.read_api(raw, where)
        if not fields["status"]:
            done = fields["total"] > 0 and fields["processed"] >= fields["total"]
            fields["status"] = "completed" if done else "processing"
        return cls(**fields)
