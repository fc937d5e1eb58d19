"""Process requests (partner balance top-ups), the people named in them and their evidence file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from webapp.cms.models.declared import ApiModel, api
from webapp.cms.models.readers import Json, as_object


class Person(ApiModel, where="person"):
    id: int
    name: str | None
    email: str | None


def _person(d: Json, key: str, where: str) -> Person | None:
    """A person named in the request; errors are named at its key (`requestedBy`, `decidedBy`)."""
    raw = d.get(key)
    return None if raw is None else Person.from_api(raw, key)


class EvidenceInfo(ApiModel, where="evidence"):
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None


def _evidence(d: Json, key: str, where: str) -> EvidenceInfo | None:
    raw = d.get(key)
    return None if raw is None else EvidenceInfo.from_api(as_object(raw, f"{where}.{key}"))


class ProcessRequest(ApiModel, where="processRequest"):
    id: int
    partner_id: int | None
    requested_amount: Decimal
    currency: str | None
    observations: str | None
    status: str
    requested_by: Person | None = api(_person)
    decided_by: Person | None = api(_person)
    decision_reason: str | None
    evidence: EvidenceInfo | None = api(_evidence)
    created_at: datetime | None
    updated_at: datetime | None
    decided_at: datetime | None


@dataclass(frozen=True)
class EvidenceFile:
    """A downloaded evidence file. `content` holds the bytes."""

    content: bytes = field(repr=False)
    content_type: str
    file_name: str
