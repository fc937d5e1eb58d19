"""What the probe finds: one Finding per assumption, one CallRecord per call it made."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

_JSON_NAMES = {"error_codes": "errorCodes"}


def _as_json(record: Any) -> dict[str, Any]:
    """A record's fields, in order, under their names in the JSON report; asdict copies the lists and
    dicts, so the report never shares them with the record."""
    return {_JSON_NAMES.get(name, name): value for name, value in asdict(record).items()}


class Verdict(StrEnum):
    HOLDS = "holds"
    DIFFERS = "differs"
    ABSENT = "absent"
    NOT_CHECKED = "not checked"


@dataclass
class Finding:
    """One assumption and how it fared; `detail` says how it differs, or why it was not checked."""

    key: str
    assumption: str
    operation: str
    # Keyword-only: declared here so the report lists it before the verdict.
    capability: str | None = field(default=None, kw_only=True)
    verdict: Verdict
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**_as_json(self), "verdict": str(self.verdict)}


@dataclass
class CallRecord:
    """One call as seen on the wire: status, envelope, field names and JSON types, never values."""

    step: str
    method: str
    route: str
    status: int | None
    envelope: str
    error_codes: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    contract: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return _as_json(self)


@dataclass
class ProbeResult:
    findings: list[Finding]
    calls: list[CallRecord]
    meta: dict[str, Any]
    problem: str | None = None

    def count(self, verdict: Verdict) -> int:
        return sum(1 for f in self.findings if f.verdict is verdict)

    def absent_capabilities(self) -> list[str]:
        """Capabilities with at least one operation found absent, in probe order."""
        names: list[str] = []
        for f in self.findings:
            if f.verdict is Verdict.ABSENT and f.capability and f.capability not in names:
                names.append(f.capability)
        return names

    @property
    def checked(self) -> int:
        return len(self.findings) - self.count(Verdict.NOT_CHECKED)

    @property
    def holding(self) -> int:
        return self.count(Verdict.HOLDS)
