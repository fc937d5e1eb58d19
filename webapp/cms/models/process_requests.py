"""Process requests (partner balance top-ups), the people named in them and their evidence file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from webapp.cms.models.readers import (
    as_object,
    opt_int,
    opt_str,
    opt_timestamp,
    req_decimal,
    req_int,
    req_str,
)


@dataclass(frozen=True)
class Person:
    id: int
    name: str | None
    email: str | None

    @classmethod
    def from_api(cls, raw: Any, where: str) -> Person:
        d = as_object(raw, where)
        return cls(
            id=req_int(d, "id", where), name=opt_str(d, "name", where), email=opt_str(d, "email", where)
        )


@dataclass(frozen=True)
class EvidenceInfo:
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class ProcessRequest:
    id: int
    partner_id: int | None
    requested_amount: Decimal
    currency: str | None
    observations: str | None
    status: str
    requested_by: Person | None
    decided_by: Person | None
    decision_reason: str | None
    evidence: EvidenceInfo | None
    created_at: datetime | None
    updated_at: datetime | None
    decided_at: datetime | None

    @classmethod
    def from_api(cls, raw: Any) -> ProcessRequest:
        w = "processRequest"
        d = as_object(raw, w)
        ev_raw = d.get("evidence")
        evidence = None
        if ev_raw is not None:
            ev = as_object(ev_raw, "processRequest.evidence")
            evidence = EvidenceInfo(
                file_name=opt_str(ev, "fileName", "evidence"),
                content_type=opt_str(ev, "contentType", "evidence"),
                size=opt_int(ev, "size", "evidence"),
                sha256=opt_str(ev, "sha256", "evidence"),
            )
        requested = d.get("requestedBy")
        decided = d.get("decidedBy")
        return cls(
            id=req_int(d, "id", w),
            partner_id=opt_int(d, "partnerId", w),
            requested_amount=req_decimal(d, "requestedAmount", w),
            currency=opt_str(d, "currency", w),
            observations=opt_str(d, "observations", w),
            status=req_str(d, "status", w),
            requested_by=Person.from_api(requested, "requestedBy") if requested is not None else None,
            decided_by=Person.from_api(decided, "decidedBy") if decided is not None else None,
            decision_reason=opt_str(d, "decisionReason", w),
            evidence=evidence,
            created_at=opt_timestamp(d, "createdAt", w),
            updated_at=opt_timestamp(d, "updatedAt", w),
            decided_at=opt_timestamp(d, "decidedAt", w),
        )


@dataclass(frozen=True)
class EvidenceFile:
    """A downloaded evidence file. `content` holds the bytes."""

    content: bytes = field(repr=False)
    content_type: str
    file_name: str
