"""Evidence files: typed by their bytes, capped at 10 MB, and kept server-side between attempts.

An operator who picked a file and then hit a wrong amount, an expired code or an upstream hiccup must not pick
the file again: the upload is staged under `instance/evidence-staging/` (mode 0600) keyed by a random id, and
the next attempt reuses it. A staged file belongs to one operator on one partner, is deleted once the request
is created, and expires after 30 minutes whatever happens. No Flask in here: the caller passes the directory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from webapp.files.private_folder import PrivateFolder
from webapp.textmarks import N_

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Multipart framing and the small text fields around the file; a body larger than the cap plus this cannot
# hold an acceptable file, so it is refused before any of it is read.
MULTIPART_SLACK_BYTES = 64 * 1024
STAGING_TTL_SECONDS = 30 * 60
STAGING_DIR_NAME = "evidence-staging"
PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})
_CHUNK = 64 * 1024


class EvidenceRejected(ValueError):
    """The file cannot be evidence; `message` is an English catalog key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(head: bytes) -> str | None:
    """The content type the bytes prove (PDF, PNG, JPEG, WEBP), whatever the name or browser claimed."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_capped(stream: BinaryIO, limit: int = MAX_EVIDENCE_BYTES) -> bytes:
    """The whole stream, refusing as soon as it passes `limit` (a 2 GB upload is not read to the end)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise EvidenceRejected("The file is larger than 10 MB.")
        chunks.append(chunk)


def safe_name(name: str | None) -> str:
    """A display-safe file name: no path, no control or quoting characters, at most 120 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;')
    base = base.strip(" .")[-120:]
    return base or "evidence"


def check(data: bytes) -> str:
    """The content type of acceptable evidence bytes; EvidenceRejected otherwise."""
    if not data:
        raise EvidenceRejected("The file is empty.")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected("The file is larger than 10 MB.")
    kind = sniff(data[:16])
    if kind is None:
        raise EvidenceRejected(N_("The file must be a PDF, JPEG, PNG or WEBP (checked by its content)."))
    return kind


@dataclass(frozen=True)
class StagedEvidence:
    ref: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


class EvidenceStaging(PrivateFolder):
    """Files waiting for their process request, one directory, swept of anything past its TTL."""

    def __init__(self, directory: Path, ttl_seconds: int = STAGING_TTL_SECONDS) -> None:
        super().__init__(directory, ttl_seconds)

    def stage(self, data: bytes, file_name: str, *, operator_id: int, partner_id: int) -> StagedEvidence:
        """Keep checked bytes for a later attempt; answers the staged file with its new random id."""
        content_type = check(data)
        ref = self.new_ref()
        blob = self.path(ref, ".bin")
        digest = hashlib.sha256(data).hexdigest()
        name = safe_name(file_name)
        self.write_private(blob, data)
        self.write_record(
            ref,
            {
                "fileName": name,
                "contentType": content_type,
                "size": len(data),
                "sha256": digest,
                "operatorId": operator_id,
                "partnerId": partner_id,
            },
        )
        return StagedEvidence(ref, name, content_type, len(data), digest, blob)

    def load(self, ref: str | None, *, operator_id: int, partner_id: int) -> StagedEvidence | None:
        """The staged file `ref`, only for the operator and partner that staged it and only within its TTL."""
        record = self.read_record(ref, partner_id=partner_id, operator_id=operator_id)
        if ref is None or record is None:
            return None
        return StagedEvidence(
            ref=ref,
            file_name=str(record["fileName"]),
            content_type=str(record["contentType"]),
            size=int(record["size"]),
            sha256=str(record["sha256"]),
            path=self.path(ref, ".bin"),
        )
